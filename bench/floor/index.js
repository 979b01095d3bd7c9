/**
 * The floor of `npm run bench`: the trivial Worker's constant answer, after the two storage
 * calls that any MCP server which checks a stored token and counts each user's requests makes
 * per request: one KV read of a token record (about the size of the OAuth library's) and one
 * call to a Workers Rate Limiting binding. Under `wrangler dev` each is a call to a local
 * service; what such a server can reach is bounded by this Worker, not by the trivial one.
 */
const RESULT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 } },
});

const TOKEN_KEY = 'token:floor-user:floor-grant:floor-token';
const TOKEN_RECORD = JSON.stringify({
  id: 'floor-token',
  grantId: 'floor-grant',
  userId: 'floor-user',
  createdAt: 0,
  expiresAt: 4102444800,
  audience: 'http://127.0.0.1',
  scope: ['mcp'],
  wrappedEncryptionKey: 'x'.repeat(56),
  grant: { clientId: 'floor-client', scope: ['mcp'], encryptedProps: 'x'.repeat(400) },
});

export default {
  async fetch(request, env) {
    if (request.method === 'POST') {
      const record = await env.FLOOR_KV.get(TOKEN_KEY, { type: 'json' });
      if (!record) return new Response('seed me: GET /', { status: 503 });
      const { success } = await env.FLOOR_LIMITER.limit({ key: record.userId });
      if (!success) return new Response('limited', { status: 429 });
      return new Response(RESULT, { headers: { 'Content-Type': 'application/json' } });
    }
    // Readiness polling (and the seed of the token record).
    if ((await env.FLOOR_KV.get(TOKEN_KEY)) === null) await env.FLOOR_KV.put(TOKEN_KEY, TOKEN_RECORD);
    return new Response('ok', { headers: { 'Content-Type': 'text/plain' } });
  },
};
