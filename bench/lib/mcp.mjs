/**
 * The MCP requests the benches send: a `tools/call` of `add` in the 2026-07-28 era (stateless,
 * `_meta` on the request) or the 2025 era (a session when the server asks for one). Shared by
 * `npm run bench` (bench/run.mjs) and `npm run profile` (bench/profile.mjs), so both measure the
 * same request.
 */

export const PROTOCOL_2026 = '2026-07-28';
export const PROTOCOL_2025 = '2025-11-25';

const META_2026 = {
  'io.modelcontextprotocol/protocolVersion': PROTOCOL_2026,
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** The body of one `tools/call` of `add` (a + b with a = id, b = 1), with `_meta` when given. */
export function toolsCall(id, meta) {
  const params = { name: 'add', arguments: { a: id, b: 1 } };
  if (meta) params._meta = meta;
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params });
}

/**
 * Headers and body of one kind of MCP request; the trivial and floor Workers get exactly the
 * same. `session` adds the headers of a 2025-era session (see `session2025`).
 */
export function mcpRequest(era, token, session = {}) {
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    ...session,
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (era === PROTOCOL_2026) {
    Object.assign(headers, {
      'MCP-Protocol-Version': PROTOCOL_2026,
      'Mcp-Method': 'tools/call',
      'Mcp-Name': 'add',
    });
    return { headers, body: (id) => toolsCall(id, META_2026) };
  }
  headers['MCP-Protocol-Version'] = PROTOCOL_2025;
  return { headers, body: (id) => toolsCall(id) };
}

/**
 * The headers a 2025-era client sends on every call to our Worker at `origin`: none when the
 * server answers a call without `initialize` (stateless), else, when it asks for a session (a 400
 * or 404 without a result), an `initialize` and `notifications/initialized` first and the
 * `Mcp-Session-Id` it returned, as a 2025-era client does.
 */
export async function session2025(origin, token) {
  const probe = mcpRequest(PROTOCOL_2025, token);
  const answer = await fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: probe.headers,
    body: probe.body(1),
  });
  const text = await answer.text();
  if (answer.status === 200 && text.includes('"result"')) return {};
  if (answer.status !== 400 && answer.status !== 404) {
    throw new Error(`2025-era tools/call without a session: HTTP ${answer.status}:\n${text}`);
  }
  const init = await fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: probe.headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_2025,
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    }),
  });
  const initText = await init.text();
  const sessionId = init.headers.get('Mcp-Session-Id');
  if (init.status !== 200 || !sessionId) {
    throw new Error(`2025-era initialize: HTTP ${init.status}, session ${sessionId}:\n${initText}`);
  }
  const session = { 'Mcp-Session-Id': sessionId };
  const initialized = await fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: { ...probe.headers, ...session },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.arrayBuffer();
  if (initialized.status >= 300)
    throw new Error(`2025-era notifications/initialized: HTTP ${initialized.status}`);
  return session;
}

/** A 2025-era answer (JSON or an SSE event) carries a result. */
export const hasResult = (body) => body.includes('"result"');
/** A 2026-07-28 answer is a complete result (not `input_required`). */
export const isComplete = (body) => body.includes('"resultType":"complete"');

/**
 * Sends one `tools/call` of `era` to our Worker at `origin` and throws unless it gets the answer
 * expected (HTTP 200, a complete result for 2026-07-28, a result for 2025, the sum `id + 1`).
 */
export async function checkToolsCall(origin, era, token, session = {}, id = 1) {
  const request = mcpRequest(era, token, era === PROTOCOL_2025 ? session : {});
  const response = await fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: request.headers,
    body: request.body(id),
  });
  const text = await response.text();
  const expected = era === PROTOCOL_2026 ? isComplete(text) : hasResult(text);
  if (response.status !== 200 || !expected || !text.includes(`"sum":${id + 1}`)) {
    const want = era === PROTOCOL_2026 ? 'expected resultType "complete"' : 'expected a result';
    throw new Error(`${era} tools/call: HTTP ${response.status}, ${want}:\n${text}`);
  }
}
