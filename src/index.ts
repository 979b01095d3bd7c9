import { getOAuthApi } from '@cloudflare/workers-oauth-provider';
import { redeemOnce } from './auth/code-redemption';
import type { AppEnv } from './auth/env';
import { auditTokenResponse, summarizeTokenRequest } from './auth/token-endpoint';
import { isLoopbackHostname } from './lib/hosts';
import { withKeyLimit } from './lib/kv-key-limit';
import { log, withRequestId } from './lib/log';
import { clientAddress, tooManyRequests, withinLimit } from './lib/rate-limit';
import { StorageUnavailable, storageUnavailableResponse, withStorageErrors } from './lib/storage-errors';
import { foreignOriginResponse } from './mcp/origin';
import { MCP_PATHS, oauthOptions, providerFor } from './oauth';

export { CodeRedemption } from './auth/code-redemption';
export { SseSession } from './mcp/sse-session';
export { Notebook } from './notes/notebook';

/**
 * Routes (all through the OAuth provider of the request's origin):
 * - `/mcp`, `/sse`, `/sse/message`: MCP, with a token (src/mcp/routes.ts), Origin checked first;
 * - `/.well-known/oauth-authorization-server`, `/.well-known/oauth-protected-resource`,
 *   `/oauth/token`, `/oauth/register`: the OAuth protocol, served by the library;
 * - `/`, `/signin`, `/signout`, `/authorize`: our pages; `/assets/*`: static files from public/ (src/auth/app.tsx);
 * - `/signin/oidc`, `/signin/github` and their `/callback`: sign-in through an identity provider
 *   (src/auth/sign-in/routes.tsx);
 * - `/account`, `/account/revoke`, `/account/revoke-all`: the user's connected apps
 *   (src/auth/account.tsx).
 * Rate limits (wrangler.jsonc): registrations per IP and token requests per client here; sign-in
 * attempts in src/auth/app.tsx; MCP requests per user in src/mcp/routes.ts.
 */
export default {
  fetch(request: Request, env: AppEnv, ctx: ExecutionContext): Promise<Response> {
    // Every log line of this request carries its id (src/lib/log.ts).
    return withRequestId(request, () => serve(request, env, ctx));
  },
} satisfies ExportedHandler<AppEnv>;

const guardedKvs = new WeakMap<KVNamespace, KVNamespace>();

/** The KV binding behind the key-length guard and the 503 wrapper, built once per binding. */
function guardedKv(kv: KVNamespace): KVNamespace {
  let guarded = guardedKvs.get(kv);
  if (!guarded) {
    guarded = withKeyLimit(withStorageErrors(kv));
    guardedKvs.set(kv, guarded);
  }
  return guarded;
}

async function serve(request: Request, env: AppEnv, ctx: ExecutionContext): Promise<Response> {
  const url = new URL(request.url);
  if (url.protocol !== 'https:' && !isLoopbackHostname(url.hostname)) {
    // OAuth 2.1 needs https; plain http only on a loopback host (wrangler dev).
    return new Response('This server is reached over https only.\n', {
      status: 400,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
  if (MCP_PATHS.some((path) => url.pathname === path || url.pathname.startsWith(`${path}/`))) {
    const forbidden = foreignOriginResponse(request, env.ALLOWED_ORIGINS);
    if (forbidden) return forbidden;
  }
  // The provider keeps its helpers in `env.OAUTH_PROVIDER` and sets them only when absent, and
  // `env` is shared by every request of an isolate: a copy per request keeps the helpers those
  // of this origin's provider, not of whichever origin the isolate served first. The library
  // reads KV by keys made of client input (client ids, token parts): an oversized one must be
  // an unknown credential, not a 500. A failed KV operation is a StorageUnavailable: a 503.
  const guarded: AppEnv = { ...env, OAUTH_KV: guardedKv(env.OAUTH_KV) };
  try {
    if (request.method === 'POST' && url.pathname === '/oauth/register') {
      if (!(await withinLimit(env.REGISTER_IP_LIMITER, 'registration_ip', clientAddress(request))))
        return tooManyRequests('Too many client registrations from your address.');
    }
    if (request.method === 'POST' && url.pathname === '/oauth/token') {
      const summary = await summarizeTokenRequest(request);
      const counted = summary.clientId ?? `address:${clientAddress(request)}`;
      if (!(await withinLimit(env.TOKEN_CLIENT_LIMITER, 'token_client', counted)))
        return tooManyRequests('Too many token requests for this client.');
      const answer = () => providerFor(url.origin).fetch(request, guarded, ctx);
      // An authorization code is redeemed once, even by parallel requests (src/auth/code-redemption.ts).
      const revokeGrant = (grantId: string, userId: string) =>
        getOAuthApi<Env>(oauthOptions(url.origin), guarded).revokeGrant(grantId, userId);
      const response = summary.code
        ? await redeemOnce(summary.code, guarded, answer, revokeGrant)
        : await answer();
      await auditTokenResponse(summary, response);
      return response;
    }
    return await providerFor(url.origin).fetch(request, guarded, ctx);
  } catch (error) {
    if (error instanceof StorageUnavailable) {
      log('error', 'storage_unavailable', { path: url.pathname, operation: error.operation });
      return storageUnavailableResponse();
    }
    log('error', 'request_failed', { path: url.pathname, error: String(error) });
    return Response.json(
      { error: 'server_error', error_description: 'The server could not complete this request.' },
      { status: 500, headers: { 'Cache-Control': 'no-store' } },
    );
  }
}
