import { type AuthInfo, createMcpHandler } from '@modelcontextprotocol/server';
import { log } from '../lib/log';
import { buildMcpServer } from './server';

/** Largest MCP request body we read, in bytes (413 above it). */
export const MAX_MCP_BODY_BYTES = 1_048_576;

/**
 * The Streamable HTTP handler behind `POST /mcp`, `POST /sse` and every SSE message: MCP
 * 2026-07-28 (stateless, per-request envelope) and, for 2025-era clients, the SDK's stateless
 * fallback that answers `initialize` without server-side sessions. Made per request, for the
 * bindings of that request (`env`), which the server factory gets from here, not from a global.
 */
function handlerFor(env: Env) {
  return createMcpHandler(({ authInfo }) => buildMcpServer(authInfo, env), {
    legacy: 'stateless',
    maxRequestBodySize: MAX_MCP_BODY_BYTES,
    onerror: (error) => log('warn', 'mcp_error', { message: error.message }),
  });
}

/**
 * Answers one MCP request. A JSON body of a declared length is read and parsed here, once, and
 * handed to the SDK as `parsedBody`: without it the SDK clones the request and reads the copy as
 * a stream, which is a good part of a small call's cost. Anything else (no `Content-Length`, a
 * body that is not JSON, another content type) goes to the SDK as it came, for its own answer.
 */
export async function serveMcp(request: Request, authInfo: AuthInfo, env: Env): Promise<Response> {
  const handler = handlerFor(env);
  const length = request.headers.get('Content-Length');
  const json = /^application\/json\s*(;|$)/i.test(request.headers.get('Content-Type') ?? '');
  if (request.method !== 'POST' || !json || length === null || !/^\d+$/.test(length))
    return handler.fetch(request, { authInfo });
  if (Number(length) > MAX_MCP_BODY_BYTES) return bodyTooLarge();
  const text = await request.text();
  if (text.length > MAX_MCP_BODY_BYTES) return bodyTooLarge();
  let parsedBody: unknown;
  try {
    parsedBody = text === '' ? undefined : JSON.parse(text);
  } catch {}
  if (parsedBody === undefined) return handler.fetch(new Request(request, { body: text }), { authInfo });
  return handler.fetch(request, { authInfo, parsedBody });
}

/** Answers one message of the legacy SSE transport (already read and parsed) as a POST would be. */
export function serveMcpMessage(message: unknown, authInfo: AuthInfo, env: Env): Promise<Response> {
  const request = new Request('https://sse.internal/mcp', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
  });
  return handlerFor(env).fetch(request, { authInfo, parsedBody: message });
}

function bodyTooLarge(): Response {
  const message = `Payload Too Large: the request body must not exceed ${MAX_MCP_BODY_BYTES} bytes.`;
  log('warn', 'mcp_error', { message });
  return Response.json(
    { jsonrpc: '2.0', id: null, error: { code: -32000, message } },
    { status: 413, headers: { 'Cache-Control': 'no-store' } },
  );
}
