import { pages } from './auth/app';
import type { AppEnv } from './auth/env';
import { serveRegistration } from './auth/registration';
import { sessionSecretProblem } from './auth/session';
import { serveTokenEndpoint } from './auth/token-endpoint';
import { isLoopbackHostname } from './lib/hosts';
import { withKeyLimit } from './lib/kv-key-limit';
import { withReadMemo } from './lib/kv-reads-made';
import { log, withRequestId } from './lib/log';
import { mcpEndpointOf } from './lib/resources';
import { StorageUnavailable, storageUnavailableResponse, withStorageErrors } from './lib/storage-errors';
import { mcpOriginGate, withMcpCors } from './mcp/origin';
import { AUTHORIZATION_SERVER_PATHS, authorizationFor, ConfigurationError, tokenLifetimes } from './oauth';

export { CodeRedemption } from './auth/code-redemption';
// The Durable Objects of features (src/features/): wrangler.jsonc binds each by its class name.
export { Notebook } from './features/notes/index';
export { AnswerLedger } from './mcp/answer-ledger';
export { McpSession } from './mcp/session';
export { SseSession } from './mcp/sse-session';
export { TaskRunner } from './mcp/tasks/task-runner';

const PROTECTED_RESOURCE_METADATA = '/.well-known/oauth-protected-resource';

/**
 * Routes, by the request's origin (src/oauth.ts builds one authorization server per origin):
 * - `/mcp`, `/sse`, `/sse/message`: MCP, each endpoint its own protected resource; Origin and
 *   CORS first (src/mcp/origin.ts), then the token (src/mcp/routes.ts);
 * - `/.well-known/oauth-protected-resource` (the whole server), `…/mcp`, `…/sse`: RFC 9728
 *   metadata, each with the `resource` of its own URL;
 * - `/.well-known/oauth-authorization-server`, `/oauth/token` (src/auth/token-endpoint.ts),
 *   `/oauth/register` (src/auth/registration.ts): the OAuth protocol, served by the library;
 * - everything else: our pages (src/auth/app.tsx): `/`, `/signin`, `/signout`, `/authorize`,
 *   `/signin/<method>` and its `/callback`, `/account`, `/assets/*`, `/icons/*`.
 * Rate limits (wrangler.jsonc): registrations per address and overall, token requests per known
 * client (per address until the client is known), sign-in attempts in src/auth/app.tsx, consent
 * pages without a session per address in src/auth/authorize.tsx, MCP requests per user in
 * src/mcp/routes.ts.
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

/** The library's record of a registered client (its storage schema: `client:<id>`). */
const isClientKey = (key: string) => key.startsWith('client:');

/** Whether the MCP routes or the OAuth library serve `path` below; everything else is one of our pages. */
function isProtocolPath(path: string): boolean {
  return (
    mcpEndpointOf(path) !== null ||
    path === PROTECTED_RESOURCE_METADATA ||
    path.startsWith(`${PROTECTED_RESOURCE_METADATA}/`) ||
    AUTHORIZATION_SERVER_PATHS.has(path)
  );
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
  const endpoint = mcpEndpointOf(url.pathname);
  if (endpoint) {
    const gate = mcpOriginGate(request, url, env.ALLOWED_ORIGINS);
    if (gate) return gate;
  }
  // The library reads KV by keys made of client input (client ids, token parts): an oversized one
  // must be an unknown credential, not a 500. A failed KV operation is a StorageUnavailable: a 503.
  // `env` is shared by every request of an isolate: the helpers go on a copy.
  // Off the MCP routes, a client's record is read once per request however often the library asks.
  const kv = guardedKv(env.OAUTH_KV);
  const guarded: AppEnv = { ...env, OAUTH_KV: endpoint ? kv : withReadMemo(kv, isClientKey) };
  try {
    // A public host needs SESSION_SECRET: without it a 500 that says how to set it, before any
    // route runs. Our pages check it themselves, to say it with a page (src/auth/app.tsx).
    const missingSecret = isProtocolPath(url.pathname) ? sessionSecretProblem(env, url) : null;
    if (missingSecret) throw new ConfigurationError(missingSecret);
    const auth = authorizationFor(url.origin, tokenLifetimes(env));
    // The OAuth helpers for our pages, and for tools that end a grant (src/tools/support/upstream.ts).
    guarded.OAUTH_PROVIDER = auth.authorizationServer.getOAuthApi(guarded);
    if (endpoint) {
      const resourceServer = endpoint === '/mcp' ? auth.resourceServers.mcp : auth.resourceServers.sse;
      return withMcpCors(request, await resourceServer.fetch(request, guarded, ctx));
    }
    if (url.pathname === PROTECTED_RESOURCE_METADATA) {
      return await auth.resourceServers.server.fetch(request, guarded, ctx);
    }
    if (url.pathname.startsWith(`${PROTECTED_RESOURCE_METADATA}/`)) {
      const described = mcpEndpointOf(url.pathname.slice(PROTECTED_RESOURCE_METADATA.length));
      if (described === '/mcp') return await auth.resourceServers.mcp.fetch(request, guarded, ctx);
      if (described === '/sse') return await auth.resourceServers.sse.fetch(request, guarded, ctx);
      return new Response(null, { status: 404 });
    }
    if (AUTHORIZATION_SERVER_PATHS.has(url.pathname)) {
      if (url.pathname === '/oauth/token' && request.method === 'POST')
        return await serveTokenEndpoint(request, guarded, ctx, auth.authorizationServer);
      if (url.pathname === '/oauth/register')
        return await serveRegistration(request, guarded, ctx, auth.authorizationServer);
      return await auth.authorizationServer.fetch(request, guarded, ctx);
    }
    return await pages.fetch(request, guarded, ctx);
  } catch (error) {
    if (error instanceof StorageUnavailable) {
      log('error', 'storage_unavailable', { path: url.pathname, operation: error.operation });
      return storageUnavailableResponse();
    }
    if (error instanceof ConfigurationError) {
      log('error', 'misconfigured', { message: error.message });
      return Response.json(
        { error: 'server_error', error_description: `This server is misconfigured: ${error.message}` },
        { status: 500, headers: { 'Cache-Control': 'no-store' } },
      );
    }
    log('error', 'request_failed', { path: url.pathname, error: String(error) });
    return Response.json(
      { error: 'server_error', error_description: 'The server could not complete this request.' },
      { status: 500, headers: { 'Cache-Control': 'no-store' } },
    );
  }
}
