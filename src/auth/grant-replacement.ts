import type { GrantSummary, OAuthHelpers } from '@cloudflare/workers-oauth-provider';
import { forgetGrantUse } from './grant-activity';
import type { GrantMetadata } from './grant-metadata';

/**
 * A remembered consent replaces an app's earlier grants when its code is redeemed, not when it is
 * issued. Allow on the consent page lets the library revoke them at `completeAuthorization`
 * (`revokeExistingGrants`, its default), but a remembered authorization runs without a click:
 * any site can send the browser to `/authorize` for a remembered app, with a `state` and PKCE of
 * its own, and revoking there would disconnect the user's app for a code nobody redeems
 * (src/auth/consent-memory.ts). So that path passes `revokeExistingGrants: false` and marks its
 * new grant (`replacesOnRedeem` in the grant's metadata); the token endpoint, once the app redeemed
 * the code and holds the new grant's tokens, revokes the earlier grants the new one replaces. An
 * unredeemed grant expires with its code.
 *
 * The mark is in the grant record, which the token endpoint reads before a code exchange anyway
 * (src/auth/token-endpoint.ts): a code exchange costs no read for it, and only a marked grant's
 * redemption lists the user's grants.
 */

/** At most this many of the user's grants are looked through (as on the account page). */
const MAX_GRANTS = 500;

/** Whether a grant record (the library's JSON, as stored in KV, parsed) carries the mark. */
export function isMarkedToReplace(grant: { metadata?: GrantMetadata } | null): boolean {
  return grant?.metadata?.replacesOnRedeem === true;
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
 * After a marked grant's code was redeemed ({@link isMarkedToReplace}): revokes the earlier grants
 * it replaces ({@link replacesGrant}) and their last-use records. Returns how many were revoked.
 */
export async function retireReplacedGrants(
  oauth: OAuthHelpers,
  kv: KVNamespace,
  redeemed: { userId: string; grantId: string },
): Promise<number> {
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
  return replaced.length;
}
