import type { AuthRequest, GrantSummary } from '@cloudflare/workers-oauth-provider';
import { rememberFor } from './consent-memory';
import type { AppEnv } from './env';
import { forgetGrantUse, lastUseByGrant } from './grant-activity';
import type { GrantMetadata } from './grant-metadata';
import { grantUserId } from './grant-user';
import type { SignedInUser } from './props';

/** An app the user connected: one grant, as the account page shows it. Every string came from the app. */
export interface ConnectedApp {
  grantId: string;
  clientId: string;
  /** The name on the consent page when the user approved (self-asserted unless `clientDomain`). */
  clientName: string;
  /** For a Client ID Metadata Document client, the domain of its client id; absent when self-registered. */
  clientDomain?: string;
  /** Where its tokens were sent: the redirect URI's host. */
  redirectHost?: string;
  scopes: string[];
  /** Seconds since the epoch. */
  connectedAt: number;
  /** Seconds since the epoch; absent when not used since connecting. */
  lastUsedAt?: number;
  /** Whether this browser skips the consent page for it (remembered consent). */
  rememberedHere: boolean;
}

/** At most this many apps are listed (and revoked by "Revoke all") at once. */
const MAX_APPS = 500;

/** A Client ID Metadata Document client's id is an https URL; its host is a domain it controls. */
export function cimdDomain(clientId: string): string | undefined {
  if (!clientId.startsWith('https://')) return undefined;
  try {
    return new URL(clientId).hostname;
  } catch {
    return undefined;
  }
}

async function userGrants(env: AppEnv, userId: string): Promise<GrantSummary[]> {
  const grants: GrantSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.OAUTH_PROVIDER.listUserGrants(userId, { cursor, limit: 100 });
    grants.push(...page.items);
    cursor = page.cursor;
  } while (cursor && grants.length < MAX_APPS);
  return grants.slice(0, MAX_APPS);
}

async function nameOf(env: AppEnv, grant: GrantSummary): Promise<string> {
  const metadata = grant.metadata as GrantMetadata | null | undefined;
  if (typeof metadata?.clientName === 'string' && metadata.clientName.trim() !== '')
    return metadata.clientName;
  // A grant made without our metadata (another path, an older version): ask the client record.
  // A metadata document that cannot be fetched now leaves the client id, which is the URL.
  try {
    const client = await env.OAUTH_PROVIDER.lookupClient(grant.clientId);
    if (client?.clientName?.trim()) return client.clientName;
  } catch {}
  return grant.clientId;
}

/** The apps `user` connected, most recent first, as seen from the browser that sent `request`. */
export async function listConnectedApps(
  env: AppEnv,
  request: Request,
  user: SignedInUser,
): Promise<ConnectedApp[]> {
  const userId = await grantUserId(user.userId);
  const [grants, uses, remember] = await Promise.all([
    userGrants(env, userId),
    lastUseByGrant(env.OAUTH_KV, userId),
    rememberFor(env, user),
  ]);
  const apps = await Promise.all(
    grants.map(async (grant): Promise<ConnectedApp> => {
      const approval: AuthRequest = {
        responseType: 'code',
        clientId: grant.clientId,
        redirectUri: grant.redirectUri ?? '',
        scope: grant.scope,
        state: '',
        resource: Array.isArray(grant.resource) ? grant.resource[0] : grant.resource,
      };
      const rememberedHere =
        grant.redirectUri !== undefined &&
        (await env.OAUTH_PROVIDER.isConsentRemembered(request, approval, remember));
      return {
        grantId: grant.id,
        clientId: grant.clientId,
        clientName: await nameOf(env, grant),
        clientDomain: cimdDomain(grant.clientId),
        redirectHost: hostOf(grant.redirectUri),
        scopes: grant.scope,
        connectedAt: grant.createdAt,
        lastUsedAt: uses.get(grant.id),
        rememberedHere,
      };
    }),
  );
  return apps.sort((a, b) => b.connectedAt - a.connectedAt || a.grantId.localeCompare(b.grantId));
}

function hostOf(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    return new URL(uri).host || uri;
  } catch {
    return undefined;
  }
}

/** Grant ids as the library makes them; anything else cannot be one. */
const GRANT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Revokes one of `user`'s grants: the grant, its access and refresh tokens (the library's
 * `revokeGrant`), and our last-use record. Only a grant stored under this user's id can be
 * named, so another user's grant id finds nothing. Returns what was revoked, or `null`.
 */
export async function revokeConnectedApp(
  env: AppEnv,
  user: SignedInUser,
  grantId: unknown,
): Promise<GrantSummary | null> {
  if (typeof grantId !== 'string' || !GRANT_ID.test(grantId)) return null;
  const userId = await grantUserId(user.userId);
  const grant = (await userGrants(env, userId)).find((candidate) => candidate.id === grantId);
  if (!grant) return null;
  await env.OAUTH_PROVIDER.revokeGrant(grant.id, userId);
  await forgetGrantUse(env.OAUTH_KV, userId, grant.id);
  return grant;
}

/** "Revoke all" revokes at most this many per request (each is several KV operations). */
const MAX_REVOKED_AT_ONCE = 100;

/**
 * Revokes every grant of `user`, up to {@link MAX_REVOKED_AT_ONCE} per call: what was revoked,
 * and whether any remain (the page then offers to go on).
 */
export async function revokeAllConnectedApps(
  env: AppEnv,
  user: SignedInUser,
): Promise<{ revoked: GrantSummary[]; remaining: boolean }> {
  const userId = await grantUserId(user.userId);
  const grants = await userGrants(env, userId);
  const revoked = grants.slice(0, MAX_REVOKED_AT_ONCE);
  for (const grant of revoked) {
    await env.OAUTH_PROVIDER.revokeGrant(grant.id, userId);
    await forgetGrantUse(env.OAUTH_KV, userId, grant.id);
  }
  return { revoked, remaining: grants.length > revoked.length };
}
