import type { AppEnv } from './auth/env';
import { isLoopbackHostname } from './lib/hosts';
import { withKeyLimit } from './lib/kv-key-limit';
import { foreignOriginResponse } from './mcp/origin';
import { MCP_PATHS, providerFor } from './oauth';

export { SseSession } from './mcp/sse-session';
export { Notebook } from './notes/notebook';

/**
 * Routes (all through the OAuth provider of the request's origin):
 * - `/mcp`, `/sse`, `/sse/message`: MCP, with a token (src/mcp/routes.ts), Origin checked first;
 * - `/.well-known/oauth-authorization-server`, `/.well-known/oauth-protected-resource`,
 *   `/oauth/token`, `/oauth/register`: the OAuth protocol, served by the library;
 * - `/`, `/signin`, `/signout`, `/authorize`, `/assets/style.css`: our pages (src/auth/app.tsx);
 * - `/signin/oidc`, `/signin/github` and their `/callback`: sign-in through an identity provider
 *   (src/auth/sign-in/routes.tsx);
 * - `/account`, `/account/revoke`, `/account/revoke-all`: the user's connected apps
 *   (src/auth/account.tsx).
 */
export default {
  async fetch(request: Request, env: AppEnv, ctx: ExecutionContext): Promise<Response> {
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
    // an unknown credential, not a 500.
    return providerFor(url.origin).fetch(request, { ...env, OAUTH_KV: withKeyLimit(env.OAUTH_KV) }, ctx);
  },
} satisfies ExportedHandler<AppEnv>;
