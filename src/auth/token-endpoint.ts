import type { OAuthAuthorizationServer, OAuthHelpers } from '@cloudflare/workers-oauth-provider';
import { sha256Hex } from '../lib/base64url';
import { withReadMemo } from '../lib/kv-reads-made';
import { log } from '../lib/log';
import { clientAddress, tooManyRequests, withinLimit } from '../lib/rate-limit';
import { redeemOnce } from './code-redemption';
import type { AppEnv } from './env';
import { grantOfToken } from './grant-activity';
import type { GrantMetadata } from './grant-metadata';
import { isMarkedToReplace, retireReplacedGrants } from './grant-replacement';

/**
 * `POST /oauth/token` (code, refresh, RFC 7009 revocation): the rate limit, a code redeemed once
 * even in parallel (src/auth/code-redemption.ts), the library's answer, the audit event, and for a
 * remembered consent's code the earlier grants it replaces (src/auth/grant-replacement.ts). A
 * client this server no longer knows gets the library's 401 `invalid_client`, on which hosted
 * clients (Claude) register again.
 *
 * A request is counted by its address (`TOKEN_ADDRESS_LIMITER`) until its client is known to
 * exist, then by the client ({@link tokenLimitKey}, `TOKEN_CLIENT_LIMITER`): made-up client ids
 * cannot each get a fresh limit, and the few shared addresses from which hosted clients (Claude,
 * ChatGPT) redeem for all their users are never limited for a known client. A code reaches its
 * `CodeRedemption` object only when its client exists and it is the code its grant was issued
 * with ({@link isIssuedCode}), so a made-up code costs no Durable Object and a grant has at most
 * one.
 *
 * Cost: no KV read of our own for a request the library answers. What we read (the client record,
 * the grant a code or a metadata-document client's credential names) is what the library reads
 * next, and it is served those values ({@link withReadMemo}) instead of reading again; the
 * client and the grant are read at the same time. The one extra read: the grant of a
 * metadata-document client's access-token revocation.
 */
export async function serveTokenEndpoint(
  request: Request,
  env: AppEnv,
  ctx: ExecutionContext,
  authorizationServer: OAuthAuthorizationServer<Env>,
): Promise<Response> {
  const summary = await summarizeTokenRequest(request);
  // What we read here (the client, the grant) is what the library reads next: each of those records
  // is read once in this request, and the library is served that read.
  const ours = new Set<string>();
  const kv = withReadMemo(env.OAUTH_KV, (key) => ours.has(key));
  const read = (key: string) => {
    ours.add(key);
    return kv.get(key);
  };
  // The grant a code or refresh token names is read (for us, then for the library) at the same
  // time as the client: one KV round trip instead of two.
  const grantRead = summary.grant && summary.grantType !== null ? read(grantKey(summary.grant)) : null;
  grantRead?.catch(() => {});
  const known = await isKnownClient(summary, read);
  const counted = known
    ? await withinLimit(env.TOKEN_CLIENT_LIMITER, 'token_client', tokenLimitKey(summary, request))
    : await withinLimit(env.TOKEN_ADDRESS_LIMITER, 'token_address', clientAddress(request));
  if (!counted)
    return tooManyRequests(
      known ? 'Too many token requests for this client.' : 'Too many token requests from your address.',
    );
  const libraryEnv: AppEnv = { ...env, OAUTH_KV: kv };
  const answer = () => authorizationServer.fetch(request, libraryEnv, ctx);
  const revokeGrant = (grantId: string, userId: string) =>
    authorizationServer.getOAuthApi(libraryEnv).revokeGrant(grantId, userId);
  // The grant a code names, read once here (the library is served this read): whether the code is
  // the one that grant was issued with decides whether it reaches its redemption object, and the
  // grant's metadata whether the code retires earlier grants once redeemed.
  const { code } = summary;
  const stored = code && known && summary.grant ? storedGrant(await read(grantKey(summary.grant))) : null;
  const response =
    code !== null && stored !== null && (await isIssuedCode(stored, code))
      ? await redeemOnce(code, env, answer, revokeGrant)
      : await answer();
  await auditTokenResponse(summary, response);
  if (summary.grant && response.status === 200 && isMarkedToReplace(stored)) {
    await retireReplaced(authorizationServer.getOAuthApi(env), env.OAUTH_KV, summary.grant);
  }
  return response;
}

/**
 * Whether the request's client exists: a registered client's record (`client:<id>`), read as the
 * library would. A Client ID Metadata Document client (`https://…`) is not stored; it is known when
 * the credential it presents names an existing grant of that client, which it had to be known to
 * obtain (and the library then resolves its document). No client id: never known.
 */
async function isKnownClient(
  summary: TokenRequestSummary,
  read: (key: string) => Promise<string | null>,
): Promise<boolean> {
  const { clientId, grant } = summary;
  if (!clientId) return false;
  if (!clientId.startsWith('https://')) return (await read(`client:${clientId}`)) !== null;
  if (!grant) return false;
  return storedGrant(await read(grantKey(grant)))?.clientId === clientId;
}

/** What we look at in a grant record (the library's JSON, as stored in KV). */
interface StoredGrant {
  clientId?: unknown;
  authCodeId?: unknown;
  metadata?: GrantMetadata;
}

/** A grant record as the library stored it, or null for none (or one that is not JSON). */
function storedGrant(record: string | null): StoredGrant | null {
  if (record === null) return null;
  try {
    return JSON.parse(record) as StoredGrant;
  } catch {
    return null;
  }
}

/**
 * Whether `code` is the one its grant was issued with: the library keeps the code's hex SHA-256
 * (`authCodeId`) in the grant, also once the code is redeemed (its replay check needs it). Any
 * other code the library refuses (`code_mismatch`) without ever asking a redemption object. Were
 * a new version of the library to store it otherwise, no code would reach its object, and the
 * parallel-redemption and stale-replay tests of test/hardening.test.ts would fail.
 */
async function isIssuedCode(stored: StoredGrant, code: string): Promise<boolean> {
  return typeof stored.authCodeId === 'string' && stored.authCodeId === (await sha256Hex(code));
}

/** The library's KV key of a grant (its storage schema: `grant:<userId>:<grantId>`). */
function grantKey(grant: { userId: string; grantId: string }): string {
  return `grant:${grant.userId}:${grant.grantId}`;
}

/**
 * A redeemed code of a remembered consent: the earlier grants its grant replaces go now that the
 * app holds the new one (src/auth/grant-replacement.ts). The tokens are issued already, so a
 * failure is logged and leaves those grants, never a failed token response.
 */
async function retireReplaced(
  oauth: OAuthHelpers,
  kv: KVNamespace,
  grant: { userId: string; grantId: string },
): Promise<void> {
  try {
    const count = await retireReplacedGrants(oauth, kv, grant);
    if (count > 0)
      log('info', 'grants_replaced', { grantUserId: grant.userId, grantId: grant.grantId, count });
  } catch (error) {
    log('warn', 'grant_replacement_failed', { grantId: grant.grantId, error: String(error) });
  }
}

/**
 * What a known client's token requests are counted under. A registered client's id is one app
 * installation; a Client ID Metadata Document's URL (`https://…`) is shared by every user of that
 * app (Claude's, ChatGPT's), who all redeem from its few addresses: those are counted per user of
 * the app, from the credential's public part. (A request whose client is not known is counted by
 * its address instead, in {@link serveTokenEndpoint}; so is the fallback here.)
 */
export function tokenLimitKey(summary: TokenRequestSummary, request: Request): string {
  if (!summary.clientId) return `address:${clientAddress(request)}`;
  if (!summary.clientId.startsWith('https://')) return summary.clientId;
  return `${summary.clientId} ${summary.grant?.userId ?? `address:${clientAddress(request)}`}`;
}

/** What we read of a token endpoint request before the library answers it (never logged whole). */
export interface TokenRequestSummary {
  /** From the form body, or from HTTP Basic client authentication (RFC 6749 §2.3.1). */
  clientId: string | null;
  grantType: string | null;
  /** The authorization code of an `authorization_code` grant. */
  code: string | null;
  /** A revocation request (RFC 7009): a `token` and no `grant_type`. */
  revocation: boolean;
  /** The grant the presented code, refresh token or revoked token names (its public part). */
  grant: { userId: string; grantId: string } | null;
}

/**
 * Reads the client id and grant type of a `POST /oauth/token` from a copy of the request, for the
 * per-client rate limit and the audit log. The library reads and validates the original; a body
 * that is not a form is summarized as empty, and the library refuses it.
 */
export async function summarizeTokenRequest(request: Request): Promise<TokenRequestSummary> {
  let form: FormData | null = null;
  const type = request.headers.get('Content-Type') ?? '';
  if (/^application\/x-www-form-urlencoded/i.test(type)) {
    try {
      form = await request.clone().formData();
    } catch {}
  }
  const field = (name: string) => {
    const value = form?.get(name);
    return typeof value === 'string' && value !== '' ? value : null;
  };
  return {
    clientId: field('client_id') ?? basicClientId(request.headers.get('Authorization')),
    grantType: field('grant_type'),
    code: field('grant_type') === 'authorization_code' ? field('code') : null,
    revocation: field('grant_type') === null && field('token') !== null,
    grant: grantOfToken(field('code') ?? field('refresh_token') ?? field('token') ?? ''),
  };
}

function basicClientId(authorization: string | null): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return null;
  try {
    const decoded = atob(match[1]);
    const separator = decoded.indexOf(':');
    return separator > 0 ? decodeURIComponent(decoded.slice(0, separator)) : null;
  } catch {
    return null;
  }
}

/**
 * Audit events of the token endpoint, written once the library answered: `token_issued` (a code
 * exchanged), `token_refreshed`, `token_revoked` (RFC 7009). They name the client, and the grant
 * and its opaque user id read from the issued token's public part; never a token or a code.
 */
export async function auditTokenResponse(summary: TokenRequestSummary, response: Response): Promise<void> {
  if (response.status !== 200) return;
  if (summary.revocation) {
    log('info', 'token_revoked', { clientId: summary.clientId });
    return;
  }
  const event =
    summary.grantType === 'authorization_code'
      ? 'token_issued'
      : summary.grantType === 'refresh_token'
        ? 'token_refreshed'
        : null;
  if (!event) return;
  let issued: { access_token?: unknown; scope?: unknown } = {};
  try {
    issued = await response.clone().json();
  } catch {}
  const grant = typeof issued.access_token === 'string' ? grantOfToken(issued.access_token) : null;
  log('info', event, {
    clientId: summary.clientId,
    grantUserId: grant?.userId ?? null,
    grantId: grant?.grantId ?? null,
    scope: issued.scope ?? null,
  });
}
