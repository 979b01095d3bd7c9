import type { ProviderId } from './sign-in/providers';
import type { UpstreamTokens } from './sign-in/upstream';

/**
 * What a grant carries (`ctx.props` on every MCP request). The library stores it encrypted,
 * with a key only the grant's tokens can unwrap.
 */
export interface Props extends SignedInUser {
  /**
   * The identity provider's tokens, for a user who signed in through OIDC or GitHub: refreshed in
   * `tokenExchangeCallback` (src/auth/sign-in/refresh.ts). The refresh token stays in the grant;
   * MCP requests see only the access token.
   */
  upstream?: UpstreamTokens;
  /**
   * When the identity provider last vouched for the user (the sign-in, or a check at a refresh),
   * seconds since the epoch. A grant whose provider cannot be asked again ends
   * `UPSTREAM_RECHECK_SECONDS` after it (src/auth/sign-in/refresh.ts).
   */
  upstreamCheckedAt?: number;
  /**
   * Accounts at other providers that the user linked to this grant (a demo user's GitHub, a
   * GitHub user's OpenID Connect provider), by provider id: src/auth/sign-in/linked-accounts.ts.
   * Rechecked and renewed at each refresh, like `upstream`; MCP requests see only access tokens.
   */
  linked?: Record<string, LinkedAccount>;
}

/** An account at a provider other than the one the user signed in with, linked to a grant. */
export interface LinkedAccount {
  /** The provider's stable id for the account (as `UpstreamIdentity.subject`). */
  subject: string;
  tokens: UpstreamTokens;
  /** When it was linked, seconds since the epoch: the newer link wins. */
  linkedAt: number;
}

/** Who is signed in: what the browser session cookie holds, and every grant begins with. */
export interface SignedInUser {
  /** Stable user id: `<provider>:<subject at the provider>`. */
  userId: string;
  /** A verified email address, or `''` when the provider vouched for none. */
  email: string;
  name: string;
  /** The sign-in method that vouched for this user. */
  provider: SignInProvider;
}

/** The demo sign-in, or the id of an identity provider (src/auth/sign-in/providers/index.ts). */
export type SignInProvider = 'demo' | ProviderId;

/** Narrows unknown grant props (e.g. from a grant written by another version) to {@link Props}. */
export function isProps(value: unknown): value is Props {
  return isSignedInUser(value);
}

/** Narrows an unknown value (a session cookie's, grant props) to {@link SignedInUser}. */
export function isSignedInUser(value: unknown): value is SignedInUser {
  if (typeof value !== 'object' || value === null) return false;
  const user = value as Record<string, unknown>;
  return (
    typeof user.userId === 'string' &&
    typeof user.email === 'string' &&
    typeof user.name === 'string' &&
    typeof user.provider === 'string'
  );
}

/** The identity part of `props`: what may go into a browser session (never a token). */
export function signedInUser(props: SignedInUser): SignedInUser {
  return { userId: props.userId, email: props.email, name: props.name, provider: props.provider };
}
