import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, send } from './support/browser';
import { initializeRequest, type JsonRpcResponse, LEGACY_VERSION } from './support/mcp';
import { accessToken, connect, tokenRequest } from './support/oauth';
import { EventStream, postMessage } from './support/sse';
import { workerWith } from './support/worker';

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

/**
 * A `whoami` call posted by `intruder` into the session of `owner` is refused with 404, and the
 * next thing on the owner's stream is the owner's own answer: the intruder's call left nothing.
 */
async function expectRefusedIntruder(
  session: { stream: EventStream; endpoint: string },
  owner: string,
  intruder: string,
  id: number,
): Promise<void> {
  const refused = await postMessage(session.endpoint, intruder, {
    jsonrpc: '2.0',
    id: 99,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  });
  expect(refused.status).toBe(404);
  expect(await refused.json()).toMatchObject({ error: 'not_found' });
  expect((await postMessage(session.endpoint, owner, initializeRequest(id))).status).toBe(202);
  expect((await nextMessage(session.stream)).id).toBe(id);
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
    await expectRefusedIntruder(await openSession(alice), alice, bob, 5);
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

describe('an SSE session belongs to the app (grant) that opened it', () => {
  /** The Worker with grant checks every half second (SSE_GRANT_CHECK_SECONDS). */
  const quickCheck = workerWith({ SSE_GRANT_CHECK_SECONDS: '0.5' });

  async function openChecked(token: string): Promise<{ stream: EventStream; endpoint: string }> {
    const response = await send(
      '/sse',
      { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } },
      ORIGIN,
      quickCheck,
    );
    const stream = new EventStream(response);
    streams.push(stream);
    expect(response.status).toBe(200);
    const first = await stream.next();
    expect(first.event).toBe('endpoint');
    return { stream, endpoint: first.data };
  }

  it("another app of the same user gets 404 on the session, and nothing reaches the owner's stream", async () => {
    const aliceElsewhere = await accessToken('alice@example.com'); // another client, another grant
    await expectRefusedIntruder(await openSession(alice), alice, aliceElsewhere, 6);
  });

  it('the stream ends within SSE_GRANT_CHECK_SECONDS once its grant is revoked, and a post gets 401', async () => {
    const { client, tokens } = await connect(`revoked-sse-${crypto.randomUUID()}@example.com`);
    const { stream, endpoint } = await openChecked(tokens.access_token);
    expect((await postMessage(endpoint, tokens.access_token, initializeRequest(1))).status).toBe(202);
    expect((await nextMessage(stream)).id).toBe(1);
    // The app's refresh token revoked (RFC 7009): the library deletes the grant and its tokens.
    const revoked = await tokenRequest({
      token: tokens.refresh_token,
      token_type_hint: 'refresh_token',
      client_id: client.client_id,
    });
    expect(revoked.status).toBe(200);
    await expect(stream.next(3_000)).rejects.toThrow('The SSE stream ended');
    expect((await postMessage(endpoint, tokens.access_token, initializeRequest(2))).status).toBe(401);
  });

  it('a stream whose grant stays is not ended by the checks', async () => {
    const token = await accessToken(`kept-sse-${crypto.randomUUID()}@example.com`);
    const { stream, endpoint } = await openChecked(token);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await postMessage(endpoint, token, initializeRequest(3))).status).toBe(202);
    expect((await nextMessage(stream)).id).toBe(3);
  });
});
