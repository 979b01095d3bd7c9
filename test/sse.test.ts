import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { send } from './support/browser';
import { initializeRequest, type JsonRpcResponse, LEGACY_VERSION } from './support/mcp';
import { accessToken } from './support/oauth';
import { EventStream, postMessage } from './support/sse';

let alice: string;
let bob: string;
const streams: EventStream[] = [];

beforeAll(async () => {
  alice = await accessToken('alice@example.com');
  bob = await accessToken('bob@example.com');
});

afterEach(async () => {
  for (const stream of streams.splice(0)) await stream.close();
});

/** Opens a session for `token` and returns it with its message endpoint. */
async function openSession(token: string): Promise<{ stream: EventStream; endpoint: string }> {
  const stream = await EventStream.open(token);
  streams.push(stream);
  expect(stream.response.status).toBe(200);
  const first = await stream.next();
  expect(first.event).toBe('endpoint');
  return { stream, endpoint: first.data };
}

async function nextMessage(stream: EventStream): Promise<JsonRpcResponse> {
  const event = await stream.next();
  expect(event.event).toBe('message');
  return JSON.parse(event.data) as JsonRpcResponse;
}

describe('2024-11-05 HTTP+SSE transport', () => {
  it('GET /sse streams the endpoint event with a fresh session id', async () => {
    const { stream, endpoint } = await openSession(alice);
    expect(stream.response.headers.get('Content-Type')).toBe('text/event-stream');
    expect(endpoint).toMatch(/^\/sse\/message\?sessionId=[0-9a-f]{32}$/);
    const other = await openSession(alice);
    expect(other.endpoint).not.toBe(endpoint);
  });

  it('answers posted messages with 202 and delivers the answers on the stream', async () => {
    const { stream, endpoint } = await openSession(alice);

    const init = await postMessage(endpoint, alice, initializeRequest(1));
    expect(init.status).toBe(202);
    const initAnswer = await nextMessage(stream);
    expect(initAnswer.id).toBe(1);
    expect(initAnswer.result).toMatchObject({
      protocolVersion: LEGACY_VERSION,
      serverInfo: { name: 'remote-mcp-server' },
    });

    const call = await postMessage(endpoint, alice, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'add', arguments: { a: 23, b: 19 } },
    });
    expect(call.status).toBe(202);
    const callAnswer = await nextMessage(stream);
    expect(callAnswer.id).toBe(2);
    expect(callAnswer.result).toMatchObject({
      content: [{ type: 'text', text: '42' }],
      structuredContent: { sum: 42 },
    });

    const who = await postMessage(endpoint, alice, {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    });
    expect(who.status).toBe(202);
    expect((await nextMessage(stream)).result?.structuredContent).toMatchObject({
      userId: 'demo:alice@example.com',
    });
  });

  it("another user's token on the session gets 404 and nothing runs", async () => {
    const { stream, endpoint } = await openSession(alice);
    const intruder = await postMessage(endpoint, bob, {
      jsonrpc: '2.0',
      id: 99,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    });
    expect(intruder.status).toBe(404);
    expect(await intruder.json()).toMatchObject({ error: 'not_found' });

    // The next thing on the stream is the owner's own answer: bob's call left nothing there.
    expect((await postMessage(endpoint, alice, initializeRequest(5))).status).toBe(202);
    expect((await nextMessage(stream)).id).toBe(5);
  });

  it('a session that does not exist is 404', async () => {
    const response = await postMessage('/sse/message?sessionId=0123456789abcdef0123456789abcdef', alice, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
    });
    expect(response.status).toBe(404);
  });

  it.each([
    ['missing', '/sse/message'],
    ['too short', '/sse/message?sessionId=abc'],
    ['upper-case hex', '/sse/message?sessionId=0123456789ABCDEF0123456789ABCDEF'],
    ['not hex', '/sse/message?sessionId=../../../../etc/passwd/0123456789ab'],
  ])('a %s sessionId is 400', async (_name, endpoint) => {
    const response = await postMessage(endpoint, alice, initializeRequest());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('a body that is not JSON is 400', async () => {
    const { endpoint } = await openSession(alice);
    const response = await postMessage(endpoint, alice, '{not json');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error_description: 'The message is not valid JSON.' });
  });

  it('a body that is not application/json is 415', async () => {
    const { endpoint } = await openSession(alice);
    const response = await postMessage(endpoint, alice, JSON.stringify(initializeRequest()), 'text/plain');
    expect(response.status).toBe(415);
  });

  it('GET on the message endpoint is 405', async () => {
    const { endpoint } = await openSession(alice);
    const response = await send(endpoint, { headers: { Authorization: `Bearer ${alice}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('POST');
  });
});
