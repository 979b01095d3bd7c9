// The old HTTP+SSE transport keeps a session per `GET /sse`: its id is in a URL, so knowing it
// must not be enough. A second user's message to the first user's session is refused as if the
// session did not exist, and nothing reaches the first user's stream; so is a message from another
// app of the same user (the session belongs to one grant). A revoked app's stream ends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from './support/server.ts';
import { openSse, type SseStream } from './support/sse.ts';
import { type AccessToken, obtainAccessToken } from './support/token.ts';

let server: RunningServer;
let alice: string;
let bob: string;
const streams: SseStream[] = [];

before(async () => {
  // Grant checks every second, so a revoked app's stream ends within the test's wait.
  server = await startServer({ vars: { SSE_GRANT_CHECK_SECONDS: '1' } });
  alice = (await obtainAccessToken(server.url, { email: 'alice@example.com' })).accessToken;
  bob = (await obtainAccessToken(server.url, { email: 'bob@example.com' })).accessToken;
});

after(async () => {
  for (const stream of streams) stream.close();
  await server?.stop();
});

const EVENT_TIMEOUT = 30_000;

/** Opens an SSE session as `token`'s user and returns the stream and its message endpoint. */
async function openSession(token: string) {
  const stream = await openSse(`${server.url}/sse`, token);
  streams.push(stream);
  assert.equal(stream.status, 200);
  assert.match(stream.contentType, /^text\/event-stream/);
  const first = await stream.next(EVENT_TIMEOUT);
  assert.equal(first.event, 'endpoint');
  assert.match(first.data, /^\/sse\/message\?sessionId=[0-9a-f]{32}$/);
  return { stream, endpoint: new URL(first.data, server.url).href };
}

function post(endpoint: string, token: string, message: unknown): Promise<Response> {
  return fetch(endpoint, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(message),
  });
}

/** The next JSON-RPC message on a session's stream (keep-alive comments are skipped). */
async function nextMessage(stream: SseStream): Promise<{ id?: unknown; result?: Record<string, unknown> }> {
  const event = await stream.next(EVENT_TIMEOUT);
  assert.equal(event.event, 'message');
  return JSON.parse(event.data) as { id?: unknown; result?: Record<string, unknown> };
}

const initialize = (id: number | string) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'sse-e2e', version: '1' } },
});

const add = (id: number | string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'add', arguments: { a: 23, b: 19 } },
});

describe('SSE sessions belong to the user who opened them', { timeout: 120_000 }, () => {
  test("a second user's tools/call to the first user's session: 404, and nothing on the stream", async () => {
    const a = await openSession(alice);
    assert.equal((await post(a.endpoint, alice, initialize(1))).status, 202);
    const initialized = await nextMessage(a.stream);
    assert.equal(initialized.id, 1);
    assert.equal(
      (initialized.result?.serverInfo as { name?: string } | undefined)?.name,
      'remote-mcp-server',
    );
    const ack = await post(a.endpoint, alice, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(ack.status, 202);

    // Bob has a valid token of his own and knows Alice's session URL.
    const intruder = await post(a.endpoint, bob, add('from-bob'));
    assert.equal(intruder.status, 404);
    const refusal = (await intruder.json()) as { error?: string; error_description?: string };
    assert.equal(refusal.error, 'not_found');
    assert.doesNotMatch(JSON.stringify(refusal), /alice/i);

    // Alice's next message on her stream answers her own call: Bob's never arrived before it.
    assert.equal((await post(a.endpoint, alice, add(2))).status, 202);
    const answer = await nextMessage(a.stream);
    assert.equal(answer.id, 2, `expected Alice's own answer, got ${JSON.stringify(answer)}`);
    assert.deepEqual(answer.result?.content, [{ type: 'text', text: '42' }]);

    // Alice's own tools still act as Alice.
    assert.equal(
      (
        await post(a.endpoint, alice, {
          jsonrpc: '2.0',
          id: 3,
          method: 'tools/call',
          params: { name: 'whoami', arguments: {} },
        })
      ).status,
      202,
    );
    const me = await nextMessage(a.stream);
    assert.equal(me.id, 3);
    assert.match(JSON.stringify(me.result?.content), /alice@example\.com/);
    assert.doesNotMatch(JSON.stringify(me.result?.content), /bob@example\.com/);
  });

  test('the same token works on its own session: the 404 is about ownership, not the token', async () => {
    const b = await openSession(bob);
    assert.equal((await post(b.endpoint, bob, initialize('bob-init'))).status, 202);
    assert.equal((await nextMessage(b.stream)).id, 'bob-init');
    assert.equal((await post(b.endpoint, bob, add('bob-add'))).status, 202);
    const answer = await nextMessage(b.stream);
    assert.equal(answer.id, 'bob-add');
    assert.deepEqual(answer.result?.content, [{ type: 'text', text: '42' }]);
  });

  test('a session id that was never opened: 404 for everyone', async () => {
    const unknown = `${server.url}/sse/message?sessionId=${'0'.repeat(32)}`;
    const response = await post(unknown, alice, add(9));
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error?: string }).error, 'not_found');
  });
});

describe('SSE sessions belong to the app (grant) that opened them', { timeout: 120_000 }, () => {
  test("another app of the same user: 404 on the first app's session, and nothing on its stream", async () => {
    const a = await openSession(alice);
    const aliceElsewhere = await obtainAccessToken(server.url, {
      email: 'alice@example.com',
      clientName: 'Another app',
    });
    const intruder = await post(a.endpoint, aliceElsewhere.accessToken, add('from-other-app'));
    assert.equal(intruder.status, 404);
    assert.equal(((await intruder.json()) as { error?: string }).error, 'not_found');
    assert.equal((await post(a.endpoint, alice, initialize('alice-own'))).status, 202);
    assert.equal((await nextMessage(a.stream)).id, 'alice-own');
  });

  test('after the app revokes its grant (RFC 7009), its stream ends and its posts get 401', async () => {
    const app: AccessToken = await obtainAccessToken(server.url, { email: 'carol@example.com' });
    const a = await openSession(app.accessToken);
    assert.equal((await post(a.endpoint, app.accessToken, initialize(1))).status, 202);
    assert.equal((await nextMessage(a.stream)).id, 1);
    const revoked = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: app.refreshToken ?? '',
        token_type_hint: 'refresh_token',
        client_id: app.clientId,
      }),
    });
    assert.equal(revoked.status, 200);
    // Keep-alives are skipped: the next thing is the end of the stream, within a few checks.
    await assert.rejects(a.stream.next(10_000), /The event stream ended/);
    assert.equal((await post(a.endpoint, app.accessToken, add(2))).status, 401);
  });
});
