/**
 * The scopes this server can grant (RFC 8414 `scopes_supported`), each with the sentence the
 * consent page shows. `mcp` is the baseline every MCP request needs (RFC 9728 `scopes_supported`,
 * named in the 401 challenge), so clients request it first.
 */
export const SCOPES = {
  mcp: 'Use the tools of this server as you',
} as const satisfies Record<string, string>;

export type Scope = keyof typeof SCOPES;

export const BASE_SCOPE: Scope = 'mcp';

export const SUPPORTED_SCOPES = Object.keys(SCOPES) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

/**
 * The scopes to grant for a request: the requested ones this server knows, always with the
 * baseline. Unknown scopes are dropped rather than refused, so a client that asks for a scope
 * of another server still connects with what this one can give.
 */
export function scopesToGrant(requested: readonly string[]): Scope[] {
  const granted = new Set<Scope>([BASE_SCOPE]);
  for (const scope of requested) if (isScope(scope)) granted.add(scope);
  return SUPPORTED_SCOPES.filter((scope) => granted.has(scope));
}
