/**
 * The scopes this server can grant (RFC 8414 `scopes_supported`), each with the sentence the
 * consent page shows. `mcp` is the baseline every MCP request needs (RFC 9728 `scopes_supported`,
 * named in the 401 challenge), so clients request it first and ask for the others only when a
 * tool, resource or prompt needs them (step-up: a 403 `insufficient_scope` names them).
 */
export const SCOPES = {
  mcp: 'Use the tools of this server as you',
  'notes:read': 'Read your notes',
  'notes:write': 'Create, change and delete your notes (and read them)',
} as const satisfies Record<string, string>;

export type Scope = keyof typeof SCOPES;

export const BASE_SCOPE: Scope = 'mcp';

export const SUPPORTED_SCOPES = Object.keys(SCOPES) as Scope[];

/**
 * What the 401 challenge and the protected-resource metadata (`scopes_supported`) tell a client to
 * ask for first: every scope a typical user needs. Many clients ask for exactly this and never step
 * up (Claude Code shows a 403 `insufficient_scope` as an expired token; Codex and `mcp-remote`
 * ignore `scopes_supported`), so naming only the baseline would leave them with tools that always
 * fail. The consent page still lets the user grant less, and step-up still works for a narrowed grant.
 */
export const CHALLENGE_SCOPES: readonly Scope[] = SUPPORTED_SCOPES;

/**
 * Scopes that include others: a grant of the key acts as a grant of each value too. Writing
 * notes includes reading them, so stepping up from `notes:read` to `notes:write` never loses
 * what the app could already do, even for a client that asks only for the challenged scopes.
 */
export const IMPLIED_SCOPES: Readonly<Partial<Record<Scope, readonly Scope[]>>> = {
  'notes:write': ['notes:read'],
};

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

/** What a grant's scopes allow: the known ones and every scope they imply ({@link IMPLIED_SCOPES}). */
export function effectiveScopes(granted: readonly string[]): ReadonlySet<Scope> {
  const effective = new Set<Scope>();
  for (const scope of granted) {
    if (!isScope(scope)) continue;
    effective.add(scope);
    for (const implied of IMPLIED_SCOPES[scope] ?? []) effective.add(implied);
  }
  return effective;
}

/**
 * Every scope a token needs for an operation that declares `scope`: the baseline and that scope.
 * This is the complete list a 403 challenge names (MCP authorization, scope challenge handling):
 * a client that replaces its scopes with it still has everything the operation needs.
 */
export function scopesNeededFor(scope: Scope): [Scope, ...Scope[]] {
  return scope === BASE_SCOPE ? [BASE_SCOPE] : [BASE_SCOPE, scope];
}

/** Whether a grant's effective scopes ({@link effectiveScopes}) allow an operation that declares `scope`. */
export function allows(effective: ReadonlySet<Scope>, scope: Scope): boolean {
  return scopesNeededFor(scope).every((needed) => effective.has(needed));
}
