import { beforeAll, describe, expect, it } from 'vitest';
import { tools as registry } from '../src/features/index';
import { send } from './support/browser';
import {
  answerOf,
  initializeRequest,
  type JsonRpcResponse,
  LEGACY_VERSION,
  mcpPost,
  modernCall,
  modernRequest,
} from './support/mcp';
import { accessToken } from './support/oauth';

/**
 * Every tool of the registry is listed, in its order, whatever the token's scopes (a call without
 * its scope is challenged). The core tools are always there.
 */
const TOOL_NAMES = registry.map((tool) => tool.name);

it('the registry has the core tools', () => {
  expect(TOOL_NAMES.slice(0, 2)).toEqual(['add', 'whoami']);
});

let token: string;

beforeAll(async () => {
  token = await accessToken('grace@example.com');
});

describe('2025-era client on POST /mcp', () => {
  it('initializes, lists the tools and calls add', async () => {
    const init = await answerOf(await mcpPost(initializeRequest(1), { token }));
    expect(init.result).toMatchObject({
      protocolVersion: LEGACY_VERSION,
      capabilities: {
        tools: { listChanged: false },
        resources: { listChanged: false },
        prompts: { listChanged: false },
      },
      serverInfo: { name: 'remote-mcp-server', version: '0.1.0' },
    });

    const headers = { 'MCP-Protocol-Version': LEGACY_VERSION };
    const list = await answerOf(
      await mcpPost({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, { token, headers }),
    );
    const tools = (list.result?.tools ?? []) as Array<{ name: string; annotations: Record<string, unknown> }>;
    expect(tools.map((tool) => tool.name)).toEqual(TOOL_NAMES);
    for (const tool of tools) {
      const defined = registry.find((candidate) => candidate.name === tool.name);
      expect(tool.annotations).toEqual({ title: defined?.title, ...defined?.annotations });
    }

    const call = await answerOf(
      await mcpPost(
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add', arguments: { a: 23, b: 19 } } },
        { token, headers },
      ),
    );
    expect(call.id).toBe(3);
    expect(call.result).toMatchObject({
      content: [{ type: 'text', text: '42' }],
      structuredContent: { sum: 42 },
    });
    expect(call.result?.isError).toBeFalsy();
  });

  it('answers a call that can get nothing but its answer as JSON; a list stays an event stream', async () => {
    const headers = { 'MCP-Protocol-Version': '2025-11-25' };
    const call = await mcpPost(
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } },
      { token, headers },
    );
    expect(call.status).toBe(200);
    expect(call.headers.get('Content-Type')).toBe('application/json');
    expect(((await call.json()) as JsonRpcResponse).result).toMatchObject({ structuredContent: { sum: 3 } });

    const list = await mcpPost(
      { jsonrpc: '2.0', id: 6, method: 'tools/list', params: {} },
      { token, headers },
    );
    expect(list.headers.get('Content-Type')).toContain('text/event-stream');

    // A client that accepts only JSON is refused as the transport refuses it, JSON or not.
    const narrow = await mcpPost(
      { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } },
      { token, headers: { ...headers, Accept: 'application/json' } },
    );
    expect(narrow.status).toBe(406);
  });

  it('answers a bad argument with an error, not a sum', async () => {
    const call = await answerOf(
      await mcpPost(
        { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'add', arguments: { a: 'x', b: 1 } } },
        { token, headers: { 'MCP-Protocol-Version': LEGACY_VERSION } },
      ),
    );
    const failed = call.error !== undefined || call.result?.isError === true;
    expect(failed).toBe(true);
    expect(JSON.stringify(call)).not.toContain('structuredContent');
  });
});

describe('2026-07-28 client on POST /mcp', () => {
  it('lists the tools with cache hints', async () => {
    const { response, answer } = await modernCall(token, 'tools/list');
    expect(response.status).toBe(200);
    expect(answer.result).toMatchObject({ ttlMs: 300_000, cacheScope: 'private' });
    const tools = (answer.result?.tools ?? []) as Array<{ name: string }>;
    expect(tools.map((tool) => tool.name)).toEqual(TOOL_NAMES);
  });

  it('describes the server with server/discover', async () => {
    const { answer } = await modernCall(token, 'server/discover');
    expect(answer.result).toMatchObject({
      supportedVersions: ['2026-07-28'],
      capabilities: { tools: { listChanged: false } },
      ttlMs: 300_000,
      cacheScope: 'private',
    });
    expect(answer.result?._meta?.['io.modelcontextprotocol/serverInfo']).toMatchObject({
      name: 'remote-mcp-server',
    });
  });

  it('whoami answers with the user who signed in', async () => {
    const { answer } = await modernCall(token, 'tools/call', { name: 'whoami', arguments: {} });
    expect(answer.result?.structuredContent).toEqual({
      userId: 'demo:grace@example.com',
      email: 'grace@example.com',
      name: 'grace',
      provider: 'demo',
    });
    expect(answer.result?.content).toEqual([
      {
        type: 'text',
        text: 'You are grace <grace@example.com> (demo:grace@example.com), signed in with demo.',
      },
    ]);
  });

  it('calls add', async () => {
    const { answer } = await modernCall(token, 'tools/call', { name: 'add', arguments: { a: 23, b: 19 } });
    expect(answer.result).toMatchObject({
      content: [{ type: 'text', text: '42' }],
      structuredContent: { sum: 42 },
    });
  });

  it('rejects a request whose Mcp-Method header disagrees with its body, and runs nothing', async () => {
    const { body, headers } = modernRequest('tools/call', { name: 'add', arguments: { a: 23, b: 19 } });
    const response = await mcpPost(body, { token, headers: { ...headers, 'Mcp-Method': 'tools/list' } });
    expect(response.status).toBe(400);
    const answer = await answerOf(response);
    expect(answer.result).toBeUndefined();
    expect(answer.error?.message).toContain('Mcp-Method');
  });

  it('rejects a request whose Mcp-Name header names another tool', async () => {
    const { body, headers } = modernRequest('tools/call', { name: 'add', arguments: { a: 1, b: 2 } });
    const response = await mcpPost(body, { token, headers: { ...headers, 'Mcp-Name': 'whoami' } });
    expect(response.status).toBe(400);
    expect((await answerOf(response)).result).toBeUndefined();
  });
});

describe('HTTP surface of /mcp and /sse', () => {
  it.each(['GET', 'DELETE'])('%s /mcp answers 405 with Allow: POST', async (method) => {
    const response = await send('/mcp', { method, headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('POST');
  });

  it('POST /sse is the same Streamable HTTP endpoint as /mcp', async () => {
    const init = await answerOf(await mcpPost(initializeRequest(7), { token, path: '/sse' }));
    expect(init.id).toBe(7);
    expect(init.result).toMatchObject({ protocolVersion: LEGACY_VERSION });
    const { body, headers } = modernRequest('tools/call', { name: 'add', arguments: { a: 23, b: 19 } });
    const call = await answerOf(await mcpPost(body, { token, headers, path: '/sse' }));
    expect(call.result).toMatchObject({ structuredContent: { sum: 42 } });
  });

  it('answers an unknown MCP path under /sse with 404', async () => {
    const response = await send('/sse/other', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(404);
  });
});

describe('Origin check', () => {
  it.each([
    ['POST', '/mcp'],
    ['GET', '/sse'],
    ['POST', '/sse'],
    ['POST', '/sse/message?sessionId=0123456789abcdef0123456789abcdef'],
  ])('%s %s from a foreign Origin is 403, even without a token', async (method, path) => {
    const response = await send(path, {
      method,
      headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' },
      ...(method === 'POST' && { body: JSON.stringify(initializeRequest()) }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.has('Access-Control-Allow-Origin')).toBe(false);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('https://evil.example');
  });

  it('a foreign Origin is 403 with a valid token too', async () => {
    const response = await mcpPost(initializeRequest(), {
      token,
      headers: { Origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
  });

  it('a DNS-rebinding page (a foreign name resolving to loopback) keeps its own origin and is refused', async () => {
    const response = await mcpPost(initializeRequest(), {
      token,
      headers: { Origin: 'http://rebind.evil.example:8787' },
    });
    expect(response.status).toBe(403);
  });

  it('the same origin and no Origin are served', async () => {
    const same = await mcpPost(initializeRequest(), { token, headers: { Origin: 'http://localhost' } });
    expect(same.status).toBe(200);
    const none = await mcpPost(initializeRequest(), { token });
    expect(none.status).toBe(200);
  });
});
