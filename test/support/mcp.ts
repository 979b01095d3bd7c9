import { type Fetcher, send } from './browser';

export const MODERN_VERSION = '2026-07-28';
export const LEGACY_VERSION = '2025-06-18';

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: number | string | null;
  result?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  error?: { code: number; message: string; data?: unknown };
}

/** A POST of one JSON-RPC message to an MCP endpoint, with a token when given. */
export function mcpPost(
  body: unknown,
  options: { token?: string; path?: string; headers?: Record<string, string>; fetcher?: Fetcher } = {},
): Promise<Response> {
  const headers = new Headers({
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    ...options.headers,
  });
  if (options.token) headers.set('Authorization', `Bearer ${options.token}`);
  return send(
    options.path ?? '/mcp',
    { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) },
    undefined,
    options.fetcher,
  );
}

/** The JSON-RPC messages of a Streamable HTTP answer: a JSON body or an SSE stream. */
export async function messagesOf(response: Response): Promise<JsonRpcResponse[]> {
  const text = await response.text();
  if (!(response.headers.get('Content-Type') ?? '').includes('text/event-stream')) {
    return [JSON.parse(text) as JsonRpcResponse];
  }
  return text
    .split(/\r?\n\r?\n/)
    .map((event) =>
      event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data) as JsonRpcResponse);
}

/** The one JSON-RPC answer of a Streamable HTTP response. */
export async function answerOf(response: Response): Promise<JsonRpcResponse> {
  const [message, ...rest] = await messagesOf(response);
  if (!message || rest.length > 0) throw new Error(`Expected one JSON-RPC message, got ${rest.length + 1}`);
  return message;
}

/** A 2025-era `initialize` request. */
export function initializeRequest(id = 1, protocolVersion = LEGACY_VERSION) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'vitest', version: '1.0.0' } },
  } as const;
}

/** The per-request `_meta` envelope of MCP 2026-07-28. */
export function modernMeta() {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
    'io.modelcontextprotocol/clientInfo': { name: 'vitest', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
}

/**
 * A 2026-07-28 request: the envelope in `params._meta`, and the standard headers
 * (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` with the tool or prompt name or the URI).
 */
export function modernRequest(
  method: string,
  params: Record<string, unknown> = {},
  id = 1,
): { body: unknown; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': method };
  if (typeof params.name === 'string') headers['Mcp-Name'] = params.name;
  if (typeof params.uri === 'string') headers['Mcp-Name'] = params.uri;
  return { body: { jsonrpc: '2.0', id, method, params: { ...params, _meta: modernMeta() } }, headers };
}

/** Sends a 2026-07-28 request with a token and returns its one answer. */
export async function modernCall(
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<{ response: Response; answer: JsonRpcResponse }> {
  const { body, headers } = modernRequest(method, params);
  const response = await mcpPost(body, { token, headers });
  return { response, answer: await answerOf(response.clone()) };
}

/**
 * The HTTP status of a 2026-07-28 `tools/list` at /mcp (or `path`) with `token`: 200 while the
 * token works, 401 once it does not.
 */
export async function tokenStatus(
  token: string,
  init: { path?: string; headers?: Record<string, string> } = {},
): Promise<number> {
  const { body, headers } = modernRequest('tools/list');
  return (await mcpPost(body, { token, path: init.path, headers: { ...headers, ...init.headers } })).status;
}
