import { isLoopbackHostname } from '../lib/hosts';
import { HOSTED_CLIENT_ORIGINS } from './hosted-origins';

/**
 * `Origin` on the MCP routes (MCP transports: servers MUST validate `Origin`, and answer an
 * invalid one with 403). The threat is DNS rebinding and cross-site pages driving a server with a
 * credential the browser adds by itself; our MCP routes take only bearer tokens, which a browser
 * never adds, so a page on a valid origin is a client like any other. Valid origins:
 * - none at all (every non-browser client);
 * - this server's own origin;
 * - the hosted MCP clients' origins (src/mcp/hosted-origins.ts: Claude, ChatGPT…);
 * - `ALLOWED_ORIGINS`, comma-separated;
 * - on a loopback host (`wrangler dev`), the local tools' `localhost`, `127.0.0.1` and `[::1]`
 *   origins on any port (MCP Inspector's UI, a web app under development). A rebinding page keeps
 *   its own origin, so it is still refused.
 */
export function isAllowedOrigin(
  origin: string,
  requestUrl: URL,
  allowedOrigins: string | undefined,
): boolean {
  if (origin === requestUrl.origin) return true;
  if (HOSTED_ORIGINS.has(origin)) return true;
  if (configuredOrigins(allowedOrigins).has(origin)) return true;
  return isLoopbackHostname(requestUrl.hostname) && isLoopbackOrigin(origin);
}

const HOSTED_ORIGINS: ReadonlySet<string> = new Set(HOSTED_CLIENT_ORIGINS.map((entry) => entry.origin));

let lastSetting: string | undefined;
let lastOrigins: ReadonlySet<string> = new Set();

/** `ALLOWED_ORIGINS` as a set, parsed once per isolate (the setting is the same for every request). */
function configuredOrigins(setting: string | undefined): ReadonlySet<string> {
  if (setting !== lastSetting) {
    lastSetting = setting;
    lastOrigins = new Set(
      (setting ?? '')
        .split(',')
        .map((origin) => origin.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    );
  }
  return lastOrigins;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHostname(url.hostname);
  } catch {
    return false;
  }
}

/** Request headers an MCP client in a browser sends (Streamable HTTP, both eras, and SSE). */
const ALLOWED_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'Mcp-Protocol-Version',
  'Mcp-Session-Id',
  'Mcp-Method',
  'Mcp-Name',
  'Last-Event-ID',
].join(', ');

/** Response headers a browser client must read: the challenge, the session, the version, backoff. */
const EXPOSED_RESPONSE_HEADERS = [
  'WWW-Authenticate',
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'Retry-After',
].join(', ');

/**
 * The Origin gate and CORS of an MCP route. Returns the answer when the request ends here (403
 * for an invalid origin, the preflight's 204), or `null` to serve it; then pass the response
 * through {@link withMcpCors}.
 */
export function mcpOriginGate(
  request: Request,
  url: URL,
  allowedOrigins: string | undefined,
): Response | null {
  const origin = request.headers.get('Origin');
  if (origin !== null && !isAllowedOrigin(origin, url, allowedOrigins)) return forbidden(origin);
  if (request.method !== 'OPTIONS') return null;
  const headers = new Headers({ Allow: 'GET, POST, DELETE, OPTIONS' });
  if (origin !== null) {
    headers.set('Access-Control-Allow-Origin', origin);
    headers.set('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
    headers.set('Access-Control-Allow-Headers', ALLOWED_REQUEST_HEADERS);
    headers.set('Access-Control-Max-Age', '86400');
    headers.set('Vary', 'Origin');
  }
  return new Response(null, { status: 204, headers });
}

/**
 * CORS on an MCP response for a request whose origin passed {@link mcpOriginGate}: that origin
 * alone (never `*`), and the headers a client must read exposed. Replaces the library's permissive
 * defaults.
 */
export function withMcpCors(request: Request, response: Response): Response {
  const origin = request.headers.get('Origin');
  if (origin === null) return response;
  const answer = new Response(response.body, response);
  answer.headers.set('Access-Control-Allow-Origin', origin);
  answer.headers.set('Access-Control-Expose-Headers', EXPOSED_RESPONSE_HEADERS);
  answer.headers.delete('Access-Control-Allow-Methods');
  answer.headers.delete('Access-Control-Allow-Headers');
  answer.headers.delete('Access-Control-Max-Age');
  answer.headers.set('Vary', 'Origin');
  return answer;
}

function forbidden(origin: string): Response {
  return Response.json(
    {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: `Forbidden: requests from origin ${origin} are not allowed.` },
    },
    { status: 403, headers: { 'Cache-Control': 'no-store' } },
  );
}
