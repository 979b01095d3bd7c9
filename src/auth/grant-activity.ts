import type { OAuthResourceContext } from '@cloudflare/workers-oauth-provider';
import { BoundedMap } from '../lib/bounded-map';
import { log } from '../lib/log';

/**
 * "Last used" for the connected-apps page. The library keeps no such time (a grant summary has
 * `createdAt` only), so we keep one KV key per grant, `grant-used:<userId>:<grantId>`, with the
 * time in its KV metadata: listing a user's keys then gives every time in one `list()`, without
 * a read per grant.
 *
 * Cost: at most one KV write per grant per isolate every {@link USE_RECORD_INTERVAL_SECONDS},
 * made after the response (`ctx.waitUntil`), never on the request's path. The time is therefore
 * accurate to that interval. The key expires with the longest a grant can live.
 */

const PREFIX = 'grant-used:';

/** How often one isolate records a grant's use, at most. */
export const USE_RECORD_INTERVAL_SECONDS = 5 * 60;

/** A little longer than the refresh-token lifetime (src/oauth.ts): a key never outlives its grant by much. */
const USE_RECORD_TTL_SECONDS = 31 * 24 * 60 * 60;

/** What `list()` returns as each key's metadata. */
interface UseRecord {
  /** Seconds since the epoch. */
  t: number;
}

/** Grants this isolate recorded lately, and when (milliseconds): the write throttle. */
const recent = new BoundedMap<string, number>(10_000);

function useKey(userId: string, grantId: string): string {
  return `${PREFIX}${userId}:${grantId}`;
}

/**
 * The grant a token or authorization code of the library belongs to: they are all
 * `<userId>:<grantId>:<secret>`. Only the form is checked; the library checks the credential.
 */
export function grantOfToken(token: string): { userId: string; grantId: string } | null {
  const [userId, grantId, secret, ...rest] = token.split(':');
  if (!userId || !grantId || !secret || rest.length > 0) return null;
  return { userId, grantId };
}

/**
 * Notes that the grant behind `token` was just used, unless this isolate did so less than
 * {@link USE_RECORD_INTERVAL_SECONDS} ago. The write runs after the response.
 */
export function recordGrantUse(
  kv: KVNamespace,
  ctx: ExecutionContext,
  token: string,
  now = Date.now(),
): void {
  const grant = grantOfToken(token);
  if (!grant) return;
  const key = useKey(grant.userId, grant.grantId);
  const last = recent.get(key);
  if (last !== undefined && now - last < USE_RECORD_INTERVAL_SECONDS * 1000) return;
  recent.set(key, now);
  const metadata: UseRecord = { t: Math.floor(now / 1000) };
  ctx.waitUntil(
    kv.put(key, '', { metadata, expirationTtl: USE_RECORD_TTL_SECONDS }).catch((error: unknown) => {
      recent.delete(key);
      log('warn', 'grant_use_not_recorded', { error: String(error) });
    }),
  );
}

/** When each of a user's grants was last used (seconds since the epoch), by grant id. */
export async function lastUseByGrant(kv: KVNamespace, userId: string): Promise<Map<string, number>> {
  const prefix = `${PREFIX}${userId}:`;
  const uses = new Map<string, number>();
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const listed: KVNamespaceListResult<UseRecord> = await kv.list<UseRecord>({ prefix, cursor });
    for (const key of listed.keys) {
      const grantId = key.name.slice(prefix.length);
      if (typeof key.metadata?.t === 'number' && !grantId.includes(':')) uses.set(grantId, key.metadata.t);
    }
    if (listed.list_complete) break;
    cursor = listed.cursor;
  }
  return uses;
}

/** Forgets a grant's last use (when it is revoked). */
export async function forgetGrantUse(kv: KVNamespace, userId: string, grantId: string): Promise<void> {
  const key = useKey(userId, grantId);
  recent.delete(key);
  await kv.delete(key);
}

type ResourceHandler<Props> = {
  fetch(request: Request, env: Env, ctx: OAuthResourceContext<Props>): Response | Promise<Response>;
};

/**
 * The MCP handler, recording each request's grant use first. The OAuth provider calls it only
 * after the token was found valid, so only real uses are recorded.
 */
export function recordingGrantUse<Props>(handler: ResourceHandler<Props>): ResourceHandler<Props> {
  return {
    fetch(request, env, ctx) {
      recordGrantUse(env.OAUTH_KV, ctx, ctx.auth.token);
      return handler.fetch(request, env, ctx);
    },
  };
}
