import type { GrantSummary, OAuthHelpers } from '@cloudflare/workers-oauth-provider';
import { log } from '../lib/log';
import { forgetGrantUse, grantOfToken } from './grant-activity';

/**
 * A remembered consent replaces an app's earlier grants when its code is redeemed, not when it is
 * issued. Allow on the consent page lets the library revoke them at `completeAuthorization`
 * (`revokeExistingGrants`, its default), but a remembered authorization runs without a click:
 * any site can send the browser to `/authorize` for a remembered app, with a `state` and PKCE of
 * its own, and revoking there would disconnect the user's app for a code nobody redeems
 * (src/auth/consent-memory.ts). So that path passes `revokeExistingGrants: false` and marks its
 * new grant here; the token endpoint, once the app redeemed the code and holds the new grant's
 * tokens, revokes the earlier grants the new one replaces. An unredeemed grant expires with its
 * code, and its mark with it.
 *
 * The mark is our own KV key, `grant-replaces:<userId>:<grantId>`, so that a code exchange costs
 * one read of it, not a read of every grant of the user: only a marked grant's redemption lists
 * the user's grants.
 */

const PREFIX = 'grant-replaces:';

/** The library's authorization code lives 10 minutes; the mark a minute more. */
const MARK_TTL_SECONDS = 11 * 60;

/** At most this many of the user's grants are looked through (as on the account page). */
const MAX_GRANTS = 500;

function markKey(grant: { userId: string; grantId: string }): string {
  return `${PREFIX}${grant.userId}:${grant.grantId}`;
}

/**
 * Marks the grant whose code `redirectTo` carries (the library's answer to `completeAuthorization`)
 * as replacing the app's earlier grants once redeemed. A failure is logged and leaves the earlier
 * grants in place: the user can disconnect them on /account.
 */
export async function replaceEarlierGrantsOnRedeem(kv: KVNamespace, redirectTo: string): Promise<void> {
  const grant = grantOfToken(new URL(redirectTo).searchParams.get('code') ?? '');
  if (!grant) return;
  try {
    await kv.put(markKey(grant), '', { expirationTtl: MARK_TTL_SECONDS });
  } catch (error) {
    log('warn', 'grant_replacement_not_marked', { grantId: grant.grantId, error: String(error) });
  }
}

/**
 * Whether `newer` replaces `older`, as the library's `revokeExistingGrants` decides: an earlier
 * grant of the same client for the same protected resource, and for a Client ID Metadata
 * Document client (one client id for every installation) from the same redirect URI. A grant
 * without a resource (made before resources) is left alone.
 */
export function replacesGrant(newer: GrantSummary, older: GrantSummary): boolean {
  if (older.id === newer.id || older.clientId !== newer.clientId || older.createdAt > newer.createdAt)
    return false;
  if (newer.clientId.startsWith('https://') && older.redirectUri !== newer.redirectUri) return false;
  const resources = (grant: GrantSummary) => [grant.resource ?? []].flat().sort().join(' ');
  return older.resource !== undefined && resources(older) === resources(newer);
}

/**
 * After a code was redeemed: when its grant was marked ({@link replaceEarlierGrantsOnRedeem}),
 * revokes the earlier grants it replaces ({@link replacesGrant}) and their last-use records, and
 * removes the mark. Returns how many were revoked.
 */
export async function retireReplacedGrants(
  oauth: OAuthHelpers,
  kv: KVNamespace,
  redeemed: { userId: string; grantId: string },
): Promise<number> {
  const key = markKey(redeemed);
  if ((await kv.get(key)) === null) return 0;
  const grants: GrantSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await oauth.listUserGrants(redeemed.userId, { cursor, limit: 100 });
    grants.push(...page.items);
    cursor = page.cursor;
  } while (cursor && grants.length < MAX_GRANTS);
  const newer = grants.find((grant) => grant.id === redeemed.grantId);
  const replaced = newer ? grants.filter((grant) => replacesGrant(newer, grant)) : [];
  for (const grant of replaced) {
    await oauth.revokeGrant(grant.id, redeemed.userId);
    await forgetGrantUse(kv, redeemed.userId, grant.id);
  }
  await kv.delete(key);
  return replaced.length;
}
