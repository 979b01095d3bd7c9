import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { log } from '../lib/log';
import { readBodyWithin } from '../lib/request-body';
import { buildMcpServer, toolNamed } from './server';

/** Largest MCP request body we read, in bytes (413 above it). */
export const MAX_MCP_BODY_BYTES = 1_048_576;

/**
 * What the server factory needs of the request each AuthInfo belongs to: the SDK hands it only the
 * request and its AuthInfo, so the bindings (and the tool a `tools/call` names) ride along with the
 * AuthInfo (a new object per request, src/mcp/caller.ts) instead of coming from a global.
 */
const requestOf = new WeakMap<AuthInfo, { env: Env; calledTool?: string }>();

/**
 * The Streamable HTTP handler behind `POST /mcp`, `POST /sse` and every SSE message: MCP
 * 2026-07-28 (stateless, per-request envelope) and, for 2025-era clients, the SDK's stateless
 * fallback that answers `initialize` without server-side sessions (the clients that can answer
 * the server get a session instead: src/mcp/session.ts). One per isolate.
 */
const handler = createMcpHandler(
  ({ authInfo }) => {
    const request = authInfo && requestOf.get(authInfo);
    if (!request) throw new Error('MCP request without its bindings');
    return buildMcpServer(authInfo, request.env, { calledTool: request.calledTool });
  },
  {
    legacy: 'stateless',
    maxRequestBodySize: MAX_MCP_BODY_BYTES,
    onerror: (error) => log('warn', 'mcp_error', { message: error.message }),
  },
);

/**
 * An MCP request's body, read once: parsed JSON (handed to the SDK as `parsedBody`: without it
 * the SDK clones the request and reads the copy as a stream, which is a good part of a small
 * call's cost; and read here so a 2025-era `initialize` can be routed to a session), or the
 * request as it came (a body that is not JSON, another content type) for the SDK's own answer,
 * or our answer to a body too large. A body without `Content-Length` (chunked, or HTTP/2) is read
 * too, up to the limit.
 */
export type McpBody = { parsed: unknown } | { raw: Request } | { refused: Response };

export async function readMcpBody(request: Request): Promise<McpBody> {
  const json = /^application\/json\s*(;|$)/i.test(request.headers.get('Content-Type') ?? '');
  if (request.method !== 'POST' || !json) return { raw: request };
  const text = await bodyText(request);
  if (text === null) return { refused: bodyTooLarge() };
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {}
  if (parsed === undefined) return { raw: new Request(request, { body: text }) };
  return { parsed };
}

const decoder = new TextDecoder();

/**
 * The body as text, or null over {@link MAX_MCP_BODY_BYTES}. With a `Content-Length` (what HTTP
 * clients send) the runtime reads it at once; without one (chunked, HTTP/2) it is read in chunks
 * and counted, so an endless body is cut off at the limit.
 */
async function bodyText(request: Request): Promise<string | null> {
  const length = request.headers.get('Content-Length');
  if (length !== null && /^\d+$/.test(length)) {
    if (Number(length) > MAX_MCP_BODY_BYTES) return null;
    const text = await request.text();
    return text.length > MAX_MCP_BODY_BYTES ? null : text;
  }
  const bytes = await readBodyWithin(request, MAX_MCP_BODY_BYTES);
  return bytes === null ? null : decoder.decode(bytes);
}

/** Answers one MCP request, statelessly, from its body as {@link readMcpBody} read it. */
export async function serveMcpBody(
  request: Request,
  body: McpBody,
  authInfo: AuthInfo,
  env: Env,
): Promise<Response> {
  if ('refused' in body) return body.refused;
  if ('raw' in body) {
    requestOf.set(authInfo, { env });
    return handler.fetch(body.raw, { authInfo });
  }
  const calledTool = calledToolOf(body.parsed);
  if (calledTool !== undefined && (await answersOnlyWithResult(request, body.parsed, calledTool))) {
    return serveAsJson(request, body.parsed, authInfo, env, calledTool);
  }
  requestOf.set(authInfo, { env, calledTool });
  return handler.fetch(request, { authInfo, parsedBody: body.parsed });
}

/**
 * Whether a `tools/call` is of the 2025 era and can get nothing back but its answer: a tool of the
 * registry (its handler reaches the client mid-call only through progress, src/tools/define-tool.ts;
 * asking needs a session in this era), no `progressToken`, not run as a task. Such a call is
 * answered with JSON (see {@link serveAsJson}); the SDK decides what is of the 2025 era.
 */
async function answersOnlyWithResult(request: Request, message: unknown, tool: string): Promise<boolean> {
  const version = request.headers.get('MCP-Protocol-Version');
  if (version !== null && version >= FIRST_MODERN_VERSION) return false;
  const { params } = message as { params: { _meta?: { progressToken?: unknown }; task?: unknown } };
  if (params._meta?.progressToken !== undefined || params.task !== undefined) return false;
  if (toolNamed(tool) === undefined) return false;
  return isLegacyRequest(request, message, { maxRequestBodySize: MAX_MCP_BODY_BYTES });
}

/** The first protocol revision of the stateless era (per-request `_meta`). */
const FIRST_MODERN_VERSION = '2026-07-28';

/**
 * A 2025-era stateless call answered with its result as JSON, which the Streamable HTTP transport
 * allows, instead of the SDK's fallback's event stream of one event (that stream wrapped in
 * another, pumped chunk by chunk; what that saves is measured in docs/performance.md). The same
 * transport and server as the fallback, only `enableJsonResponse`.
 */
async function serveAsJson(
  request: Request,
  message: unknown,
  authInfo: AuthInfo,
  env: Env,
  calledTool: string,
): Promise<Response> {
  const server = buildMcpServer(authInfo, env, { calledTool });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    maxRequestBodySize: MAX_MCP_BODY_BYTES,
  });
  try {
    await server.connect(transport);
    return await transport.handleRequest(request, { authInfo, parsedBody: message });
  } catch (error) {
    log('warn', 'mcp_error', { message: error instanceof Error ? error.message : String(error) });
    return jsonRpcErrorResponse(500, -32603, 'Internal error');
  } finally {
    transport.close().catch(() => {});
    server.close().catch(() => {});
  }
}

/** Answers one message of the legacy SSE transport (already read and parsed) as a POST would be. */
export function serveMcpMessage(message: unknown, authInfo: AuthInfo, env: Env): Promise<Response> {
  const request = new Request('https://sse.internal/mcp', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
  });
  requestOf.set(authInfo, { env, calledTool: calledToolOf(message) });
  return handler.fetch(request, { authInfo, parsedBody: message });
}

/**
 * The tool a message calls, when it is one `tools/call` request: the server built for it needs
 * only that tool (src/mcp/server.ts). A batch or any other message: none.
 */
function calledToolOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
  if (method !== 'tools/call' || typeof params?.name !== 'string') return undefined;
  return params.name;
}

function bodyTooLarge(): Response {
  const message = `Payload Too Large: the request body must not exceed ${MAX_MCP_BODY_BYTES} bytes.`;
  log('warn', 'mcp_error', { message });
  return jsonRpcErrorResponse(413, -32000, message);
}

/** What an unknown, ended or foreign 2025-era session answers (404): the client opens a new one. */
export const SESSION_NOT_FOUND = 'Session not found. Start a new session with initialize.';

/**
 * An error of the MCP transport itself, before any request is handled: a JSON-RPC error without
 * an id, with its HTTP status, never cached.
 */
export function jsonRpcErrorResponse(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { jsonrpc: '2.0', id: null, error: { code, message } },
    { status, headers: { 'Cache-Control': 'no-store', ...headers } },
  );
}
