/**
 * The trivial Worker of `npm run bench`: a constant JSON-RPC result for any POST (what an MCP
 * server can do at best), and a constant 200 for anything else (readiness polling).
 */
const RESULT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 } },
});

export default {
  async fetch(request) {
    if (request.method === 'POST') {
      return new Response(RESULT, { headers: { 'Content-Type': 'application/json' } });
    }
    return new Response('ok', { headers: { 'Content-Type': 'text/plain' } });
  },
};
