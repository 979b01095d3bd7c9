/**
 * What a grant carries (`ctx.props` on every MCP request). The library stores it encrypted,
 * with a key only the grant's tokens can unwrap.
 */
export interface Props {
  /** Stable user id: `<provider>:<subject at the provider>`. */
  userId: string;
  email: string;
  name: string;
  /** The sign-in method that vouched for this user. */
  provider: SignInProvider;
}

export type SignInProvider = 'demo';

/** Narrows unknown grant props (e.g. from a grant written by another version) to {@link Props}. */
export function isProps(value: unknown): value is Props {
  if (typeof value !== 'object' || value === null) return false;
  const props = value as Record<string, unknown>;
  return (
    typeof props.userId === 'string' &&
    typeof props.email === 'string' &&
    typeof props.name === 'string' &&
    typeof props.provider === 'string'
  );
}
