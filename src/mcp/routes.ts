import type { OAuthResourceContext } from '@cloudflare/workers-oauth-provider';
import { isInitializeRequest } from '@modelcontextprotocol/server';
import type { Props } from '../auth/props';
import { RETRY_AFTER_SECONDS, withinLimit } from '../lib/rate-limit';
import { durableObjectCall } from '../lib/storage-errors';
import { authInfoFor, callerFrom } from './caller';
import {
  jsonRpcErrorResponse,
  MAX_MCP_BODY_BYTES,
  readMcpBody,
  SESSION_NOT_FOUND,
  serveMcpBody,
} from './http';
import type { McpSession, SessionRequest } from './session';
import { type DeliveryResult, type SseSession, sseOwnerOf } from './sse-session';

const SESSION_ID = /^[0-9a-f]{32}$/;

/** How long a 2025-era session may go without a request, unless MCP_SESSION_IDLE_TIMEOUT_SECONDS says. */
export const DEFAULT_MCP_SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60;

/** The client capabilities that need a session in the 2025 era: the server asks, the client answers. */
const ANSWERING_CAPABILITIES = ['elicitation', 'sampling', 'roots'] as const;

/** How long a legacy SSE stream may go without a posted message, unless SSE_IDLE_TIMEOUT_SECONDS says. */
export const DEFAULT_SSE_IDLE_TIMEOUT_SECONDS = 30 * 60;

/**
 * How often an open legacy SSE stream checks that its grant still exists, unless
 * SSE_GRANT_CHECK_SECONDS says: a revoked app's stream ends within this (KV itself may take about a
 * minute to show a revocation made elsewhere). One KV read per quiet stream per interval.
 */
export const DEFAULT_SSE_GRANT_CHECK_SECONDS = 60;

/**
 * Every MCP route, reached only with a valid token for this server (the OAuth provider checks
 * it first):
 * - `POST /mcp`, `POST /sse`: Streamable HTTP, both protocol eras, stateless; except that a
 *   2025-era client whose `initialize` declares it can answer the server (elicitation, sampling,
 *   roots) gets a session (`Mcp-Session-Id`, src/mcp/session.ts), and every request carrying
 *   that header (POST, GET for the server's stream, DELETE to end it) goes to the session;
 * - `GET /sse`, `POST /sse/message?sessionId=…`: the 2024-11-05 HTTP+SSE transport; a session
 *   belongs to the grant whose token opened it (src/mcp/sse-session.ts).
 */
export const mcpRoutes = {
  async fetch(request: Request, env: Env, ctx: OAuthResourceContext<Props>): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (!(await withinLimit(env.MCP_USER_LIMITER, 'mcp_user', ctx.props.userId))) return rateLimited();
    if (pathname === '/mcp' || pathname === '/sse') {
      const sessionId = request.headers.get('Mcp-Session-Id');
      if (sessionId !== null) return serveSession(request, env, ctx, sessionId);
      if (request.method === 'POST') return serveMcpPost(request, env, ctx);
      if (pathname === '/sse' && request.method === 'GET') return openSseSession(env, ctx);
      return methodNotAllowed(pathname === '/sse' ? 'GET, POST' : 'POST');
    }
    if (pathname === '/sse/message') {
      if (request.method !== 'POST') return methodNotAllowed('POST');
      return deliverSseMessage(request, env, ctx);
    }
    return jsonError(404, `No MCP endpoint at ${pathname}. Use /mcp (or /sse for older clients).`);
  },
};

/** A stateless request, or the `initialize` that opens a session for a client that can answer. */
async function serveMcpPost(request: Request, env: Env, ctx: OAuthResourceContext<Props>): Promise<Response> {
  const body = await readMcpBody(request);
  const caller = callerFrom(ctx);
  if (!('parsed' in body) || !answersServer(body.parsed))
    return serveMcpBody(request, body, authInfoFor(caller), env);
  const sessionId = newSessionId();
  const idleTimeoutMs =
    secondsOf(env.MCP_SESSION_IDLE_TIMEOUT_SECONDS, DEFAULT_MCP_SESSION_IDLE_TIMEOUT_SECONDS) * 1000;
  return durableObjectCall('McpSession.open', () =>
    mcpSession(env, sessionId).open(sessionId, caller, sessionRequest(request, body.parsed), idleTimeoutMs),
  );
}

/** A request of a session: only its owner's reach it (anyone else's answer is 404, as for none). */
async function serveSession(
  request: Request,
  env: Env,
  ctx: OAuthResourceContext<Props>,
  sessionId: string,
): Promise<Response> {
  if (!SESSION_ID.test(sessionId)) return jsonRpcErrorResponse(404, -32001, SESSION_NOT_FOUND);
  let body: unknown;
  if (request.method === 'POST') {
    const read = await readMcpBody(request);
    if ('refused' in read) return read.refused;
    if ('raw' in read) {
      return jsonRpcErrorResponse(
        400,
        -32700,
        'Parse error: the body must be a JSON-RPC message sent as application/json.',
      );
    }
    body = read.parsed;
  }
  return durableObjectCall('McpSession.serve', () =>
    mcpSession(env, sessionId).serve(sessionId, callerFrom(ctx), sessionRequest(request, body)),
  );
}

/** A 2025-era `initialize` that declares one of {@link ANSWERING_CAPABILITIES}. */
function answersServer(body: unknown): boolean {
  // The method first: the SDK's schema check is a zod parse, too much for every call.
  if ((body as { method?: unknown } | null)?.method !== 'initialize' || !isInitializeRequest(body))
    return false;
  const capabilities = body.params.capabilities as Record<string, unknown>;
  return ANSWERING_CAPABILITIES.some(
    (name) => typeof capabilities[name] === 'object' && capabilities[name] !== null,
  );
}

function sessionRequest(request: Request, body: unknown): SessionRequest {
  return { method: request.method, url: request.url, headers: [...request.headers], body };
}

function newSessionId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/** The Durable Object of one 2025-era MCP session, addressed by its id. */
function mcpSession(env: Env, sessionId: string): DurableObjectStub<McpSession> {
  return env.MCP_SESSION.get(env.MCP_SESSION.idFromName(sessionId));
}

async function openSseSession(env: Env, ctx: OAuthResourceContext<Props>): Promise<Response> {
  const owner = sseOwnerOf(callerFrom(ctx));
  if (!owner) return jsonError(400, 'This token cannot open an SSE session.');
  const sessionId = newSessionId();
  const stream = await durableObjectCall('SseSession.open', () =>
    sseSession(env, sessionId).open(
      owner,
      `/sse/message?sessionId=${sessionId}`,
      secondsOf(env.SSE_IDLE_TIMEOUT_SECONDS, DEFAULT_SSE_IDLE_TIMEOUT_SECONDS) * 1000,
      secondsOf(env.SSE_GRANT_CHECK_SECONDS, DEFAULT_SSE_GRANT_CHECK_SECONDS) * 1000,
    ),
  );
  return new Response(stream, {
    headers: {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    },
  });
}

async function deliverSseMessage(
  request: Request,
  env: Env,
  ctx: OAuthResourceContext<Props>,
): Promise<Response> {
  const sessionId = new URL(request.url).searchParams.get('sessionId') ?? '';
  if (!SESSION_ID.test(sessionId)) return jsonError(400, 'Missing or malformed sessionId.');
  const type = request.headers.get('Content-Type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return jsonError(415, 'Content-Type must be application/json.');
  }
  const declared = Number(request.headers.get('Content-Length') ?? 0);
  if (declared > MAX_MCP_BODY_BYTES) return jsonError(413, 'Message too large.');
  const body = await request.text();
  if (body.length > MAX_MCP_BODY_BYTES) return jsonError(413, 'Message too large.');
  try {
    JSON.parse(body);
  } catch {
    return jsonError(400, 'The message is not valid JSON.');
  }
  const result: DeliveryResult = await durableObjectCall('SseSession.deliver', async () =>
    sseSession(env, sessionId).deliver(callerFrom(ctx), body),
  );
  if (result === 'unknown-session')
    return jsonError(404, 'No such SSE session. Open a new one with GET /sse.');
  if (result !== 'accepted') {
    const { status, wwwAuthenticate, body } = result.challenge;
    const headers = new Headers({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    if (wwwAuthenticate) headers.set('WWW-Authenticate', wwwAuthenticate);
    return new Response(body, { status, headers });
  }
  return new Response('Accepted', { status: 202 });
}

/** The Durable Object of one SSE session, addressed by its id. */
function sseSession(env: Env, sessionId: string): DurableObjectStub<SseSession> {
  return env.SSE_SESSION.get(env.SSE_SESSION.idFromName(sessionId));
}

/** A setting (SSE_IDLE_TIMEOUT_SECONDS, SSE_GRANT_CHECK_SECONDS) as positive seconds, or the default. */
function secondsOf(setting: string | undefined, fallback: number): number {
  const seconds = Number(setting);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : fallback;
}

/** 429 for a user over the MCP request limit: a JSON-RPC error, like every MCP transport error. */
function rateLimited(): Response {
  return jsonRpcErrorResponse(429, -32000, 'Too many requests from this user. Try again in a minute.', {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
}

function methodNotAllowed(allow: string): Response {
  return new Response(JSON.stringify({ error: 'method_not_allowed', error_description: `Use ${allow}.` }), {
    status: 405,
    headers: { Allow: allow, 'Content-Type': 'application/json' },
  });
}

function jsonError(status: number, message: string): Response {
  return Response.json(
    { error: status === 404 ? 'not_found' : 'invalid_request', error_description: message },
    { status },
  );
}
