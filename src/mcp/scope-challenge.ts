import type { ScopeChallengeHandler } from '@modelcontextprotocol/server';
import { allows, effectiveScopes, type Scope, scopesNeededFor } from '../auth/scopes';

/**
 * The step-up check of a tool, resource or prompt that declares `scope` (MCP authorization,
 * scope challenge handling; RFC 6750 §3.1): when the token's scopes, with what they imply, do
 * not allow it, the SDK answers the request itself with HTTP 403 and
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="mcp <scope>", resource_metadata=…`
 * before anything runs, in both protocol eras. The challenge names every scope the operation
 * needs, the baseline included, and never `offline_access`.
 */
export function scopeChallenge(scope: Scope, operation: string): ScopeChallengeHandler {
  const needed = scopesNeededFor(scope);
  return function challengeUnlessAllowed({ authInfo }) {
    if (authInfo === undefined || allows(effectiveScopes(authInfo.scopes), scope)) return undefined;
    return { scopes: needed, errorDescription: `${operation} needs the ${needed.join(' ')} scopes` };
  };
}
