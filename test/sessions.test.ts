import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerInputRequiredFixtures } from '../src/conformance/input-required';
import { DEFAULT_MCP_SESSION_IDLE_TIMEOUT_SECONDS } from '../src/mcp/routes';
import { serverExtensions } from '../src/mcp/server';
import { type Fetcher, send } from './support/browser';
import { initializeRequest, type JsonRpcResponse, LEGACY_VERSION, mcpPost, messagesOf } from './support/mcp';
import { ALL_SCOPES, connect, tokenRequest } from './support/oauth';
import { EventStream } from './support/sse';
import { workerWith } from './support/worker';

/**
 * 2025-era sessions (src/mcp/session.ts): a 2025-era client that declares it can answer the
 * server (elicitation, sampling, roots) gets `Mcp-Session-Id`, and a tool can ask it on the
 * call's own stream; a client that declares none stays stateless. Sessions belong to the grant
 * that opened them, end on DELETE, when idle, and with their grant.
 */

const FORM = { elicitation: { form: {} } };
const EVERYTHING = { elicitation: {}, sampling: {}, roots: {} };

interface App {
  token: string;
  clientId: string;
  refreshToken: string;
}

async function app(email: string, scopes = ALL_SCOPES): Promise<App> {
  const { client, tokens } = await connect(email, { request: scopes });
  return { token: tokens.access_token, clientId: client.client_id, refreshToken: tokens.refresh_token };
}

/** The 2025 revision whose streams are resumable (an SSE event with empty data primes them). */
const RESUMABLE_VERSION = '2025-11-25';

/** A POST to `/mcp` in the session `sessionId` (or none), as a 2025-era client. */
function post(
  token: string,
  body: unknown,
  sessionId?: string,
  fetcher?: Fetcher,
  version = LEGACY_VERSION,
): Promise<Response> {
  const headers: Record<string, string> = { 'MCP-Protocol-Version': version };
  if (sessionId) headers['Mcp-Session-Id'] = sessionId;
  return mcpPost(body, { token, headers, fetcher });
}

/** Opens a session declaring `capabilities`; returns its id (and checks the handshake's answer). */
async function openSession(
  token: string,
  capabilities: object,
  fetcher?: Fetcher,
  version = LEGACY_VERSION,
): Promise<string> {
  const init = initializeRequest(1, version);
  const response = await post(
    token,
    { ...init, params: { ...init.params, capabilities } },
    undefined,
    fetcher,
    version,
  );
  expect(response.status).toBe(200);
  const sessionId = response.headers.get('Mcp-Session-Id');
  expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
  const [answer] = await messagesOf(response);
  expect(answer?.result).toMatchObject({
    protocolVersion: version,
    serverInfo: { name: 'remote-mcp-server' },
  });
  const initialized = await post(
    token,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    sessionId ?? '',
    fetcher,
    version,
  );
  expect(initialized.status).toBe(202);
  return sessionId ?? '';
}

function call(id: number, name: string, args: Record<string, unknown> = {}) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } } as const;
}

async function toolText(response: Response): Promise<string> {
  const messages = await messagesOf(response);
  const result = messages.at(-1)?.result as { content: { text: string }[] } | undefined;
  return result?.content[0]?.text ?? JSON.stringify(messages);
}

/** The next JSON-RPC message on a call's open stream. */
async function nextMessage(
  stream: EventStream,
): Promise<JsonRpcResponse & { method?: string; params?: never }> {
  return JSON.parse((await stream.next(10_000)).data);
}

async function createNote(token: string, title: string): Promise<string> {
  const response = await post(token, call(1, 'notes_create', { title, body: 'maybe deleted' }));
  const [answer] = await messagesOf(response);
  const created = answer?.result?.structuredContent as { note: { id: string } } | undefined;
  if (!created) throw new Error(`notes_create failed: ${JSON.stringify(answer)}`);
  return created.note.id;
}

async function noteExists(token: string, id: string): Promise<boolean> {
  const [answer] = await messagesOf(await post(token, call(1, 'notes_get', { id })));
  return answer?.result?.isError !== true;
}

let ada: App;
let bob: App;
const streams: EventStream[] = [];

beforeAll(async () => {
  ada = await app('ada-sessions@example.com');
  bob = await app('bob-sessions@example.com');
});

afterEach(async () => {
  for (const stream of streams.splice(0)) await stream.close();
});

/** Starts a tool call in the session and returns its stream, open for the server's questions. */
async function startCall(token: string, sessionId: string, body: unknown): Promise<EventStream> {
  const response = await post(token, body, sessionId);
  expect(response.status).toBe(200);
  expect(response.headers.get('Content-Type')).toContain('text/event-stream');
  const stream = new EventStream(response);
  streams.push(stream);
  return stream;
}

describe('who gets a session', () => {
  it('a 2025-era client that declares nothing it can answer stays stateless (no Mcp-Session-Id)', async () => {
    const response = await post(ada.token, initializeRequest());
    expect(response.status).toBe(200);
    expect(response.headers.get('Mcp-Session-Id')).toBeNull();
  });

  it.each([['elicitation'], ['sampling'], ['roots']])(
    'one that declares %s gets a session',
    async (capability) => {
      const sessionId = await openSession(ada.token, { [capability]: {} });
      const listed = await messagesOf(
        await post(ada.token, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, sessionId),
      );
      expect(((listed[0]?.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name)).toContain(
        'notes_delete',
      );
    },
  );
});

describe('a tool asks the user in a session', () => {
  it('notes_delete asks for confirmation on the call’s stream; yes deletes the note', async () => {
    const id = await createNote(ada.token, 'Session yes');
    const sessionId = await openSession(ada.token, FORM);
    const stream = await startCall(ada.token, sessionId, call(7, 'notes_delete', { id }));
    const question = await nextMessage(stream);
    expect(question.method).toBe('elicitation/create');
    expect(JSON.stringify(question.params)).toContain('Session yes');
    const answered = await post(
      ada.token,
      { jsonrpc: '2.0', id: question.id, result: { action: 'accept', content: { confirm: true } } },
      sessionId,
    );
    expect(answered.status).toBe(202);
    const result = await nextMessage(stream);
    expect(result.id).toBe(7);
    expect(JSON.stringify(result.result)).toContain('Deleted');
    expect(await noteExists(ada.token, id)).toBe(false);
  });

  it('no keeps the note', async () => {
    const id = await createNote(ada.token, 'Session no');
    const sessionId = await openSession(ada.token, FORM);
    const stream = await startCall(ada.token, sessionId, call(8, 'notes_delete', { id }));
    const question = await nextMessage(stream);
    await post(ada.token, { jsonrpc: '2.0', id: question.id, result: { action: 'decline' } }, sessionId);
    const result = await nextMessage(stream);
    expect(result.id).toBe(8);
    expect(await noteExists(ada.token, id)).toBe(true);
  });

  it('an answer to a request the session never sent is refused (400) and changes nothing', async () => {
    const id = await createNote(ada.token, 'Never asked');
    const sessionId = await openSession(ada.token, FORM);
    const forged = await post(
      ada.token,
      { jsonrpc: '2.0', id: 4242, result: { action: 'accept', content: { confirm: true } } },
      sessionId,
    );
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({
      error: { message: expect.stringContaining('sent no request') },
    });
    // A question's answer counts once: a second answer to it is refused the same way.
    const stream = await startCall(ada.token, sessionId, call(9, 'notes_delete', { id }));
    const question = await nextMessage(stream);
    const no = { jsonrpc: '2.0', id: question.id, result: { action: 'decline' } };
    expect((await post(ada.token, no, sessionId)).status).toBe(202);
    await nextMessage(stream);
    const yes = { jsonrpc: '2.0', id: question.id, result: { action: 'accept', content: { confirm: true } } };
    expect((await post(ada.token, yes, sessionId)).status).toBe(400);
    expect(await noteExists(ada.token, id)).toBe(true);
  });
});

/** The GET that resumes a session's stream after `lastEventId`, as a client that lost its connection. */
function resume(token: string, sessionId: string, lastEventId: string): Promise<Response> {
  return send('/mcp', {
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: 'text/event-stream',
      'Mcp-Session-Id': sessionId,
      'MCP-Protocol-Version': RESUMABLE_VERSION,
      'Last-Event-ID': lastEventId,
    },
  });
}

describe('a session’s streams are resumable (2025-11-25)', () => {
  it('a call whose connection drops is resumed with Last-Event-ID: the question, then the answer', async () => {
    const id = await createNote(ada.token, 'Dropped line');
    const sessionId = await openSession(ada.token, FORM, undefined, RESUMABLE_VERSION);
    const response = await post(
      ada.token,
      call(20, 'notes_delete', { id }),
      sessionId,
      undefined,
      RESUMABLE_VERSION,
    );
    const stream = new EventStream(response);
    const priming = await stream.next();
    expect(priming.data).toBe('');
    expect(priming.id).toBeTruthy();
    // The connection drops before the question arrives (or is read).
    await stream.close();
    const resumed = await resume(ada.token, sessionId, priming.id ?? '');
    expect(resumed.status).toBe(200);
    const again = new EventStream(resumed);
    streams.push(again);
    const question = await nextMessage(again);
    expect(question.method).toBe('elicitation/create');
    const yes = { jsonrpc: '2.0', id: question.id, result: { action: 'accept', content: { confirm: true } } };
    expect((await post(ada.token, yes, sessionId, undefined, RESUMABLE_VERSION)).status).toBe(202);
    expect((await nextMessage(again)).id).toBe(20);
    expect(await noteExists(ada.token, id)).toBe(false);
  });

  it('an event id the session does not know cannot be resumed from (400, with what to do)', async () => {
    const sessionId = await openSession(ada.token, FORM, undefined, RESUMABLE_VERSION);
    const resumed = await resume(ada.token, sessionId, 'made-up_1');
    expect(resumed.status).toBe(400);
    expect(await resumed.json()).toMatchObject({
      error: { message: expect.stringContaining('Cannot resume') },
    });
  });
});

describe('scopes in a session', () => {
  it('a call without its scope gets the step-up challenge (403 insufficient_scope), and nothing is written', async () => {
    const reader = await app('reader-sessions@example.com', ['mcp', 'notes:read']);
    const sessionId = await openSession(reader.token, FORM);
    const refused = await post(
      reader.token,
      call(30, 'notes_create', { title: 'No', body: 'no' }),
      sessionId,
    );
    expect(refused.status).toBe(403);
    expect(refused.headers.get('WWW-Authenticate')).toContain('error="insufficient_scope"');
    expect(refused.headers.get('WWW-Authenticate')).toContain('notes:write');
    const listed = await messagesOf(await post(reader.token, call(31, 'notes_list'), sessionId));
    expect(listed[0]?.result?.structuredContent).toMatchObject({ total: 0 });
  });
});

describe('a session is its grant’s alone', () => {
  it('another user’s token finds no session (404), and the owner’s goes on', async () => {
    const sessionId = await openSession(ada.token, FORM);
    const foreign = await post(bob.token, call(3, 'whoami'), sessionId);
    expect(foreign.status).toBe(404);
    const deleted = await send('/mcp', {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${bob.token}`, 'Mcp-Session-Id': sessionId },
    });
    expect(deleted.status).toBe(404);
    expect(await toolText(await post(ada.token, call(4, 'whoami'), sessionId))).toContain(
      'ada-sessions@example.com',
    );
  });

  it('another app of the same user finds no session (404)', async () => {
    const sessionId = await openSession(ada.token, FORM);
    const other = await app('ada-sessions@example.com');
    expect((await post(other.token, call(3, 'whoami'), sessionId)).status).toBe(404);
  });

  it('an unknown or malformed session id is 404, so the client starts a new session', async () => {
    expect((await post(ada.token, call(3, 'whoami'), 'f'.repeat(32))).status).toBe(404);
    expect((await post(ada.token, call(3, 'whoami'), 'not-a-session')).status).toBe(404);
  });

  it('the same grant’s refreshed token keeps its session', async () => {
    const own = await app('carol-sessions@example.com');
    const sessionId = await openSession(own.token, FORM);
    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: own.refreshToken,
      client_id: own.clientId,
    });
    const { access_token } = (await refreshed.json()) as { access_token: string };
    expect(await toolText(await post(access_token, call(5, 'whoami'), sessionId))).toContain(
      'carol-sessions',
    );
  });

  it('a revoked grant ends its session: its token is refused, and no token of it can exist again', async () => {
    const own = await app('dan-sessions@example.com');
    const sessionId = await openSession(own.token, FORM);
    const revoked = await tokenRequest({
      token: own.refreshToken,
      token_type_hint: 'refresh_token',
      client_id: own.clientId,
    });
    expect(revoked.status).toBe(200);
    expect((await post(own.token, call(6, 'whoami'), sessionId)).status).toBe(401);
  });
});

describe('a session ends', () => {
  it('on DELETE by its owner: the id is then unknown (404)', async () => {
    const sessionId = await openSession(ada.token, FORM);
    const deleted = await send('/mcp', {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${ada.token}`, 'Mcp-Session-Id': sessionId },
    });
    expect(deleted.status).toBe(200);
    expect((await post(ada.token, call(3, 'whoami'), sessionId)).status).toBe(404);
  });

  it(`after MCP_SESSION_IDLE_TIMEOUT_SECONDS without a request (${DEFAULT_MCP_SESSION_IDLE_TIMEOUT_SECONDS / 60} minutes by default)`, async () => {
    const quickIdle = workerWith({ MCP_SESSION_IDLE_TIMEOUT_SECONDS: '1' });
    const sessionId = await openSession(ada.token, FORM, quickIdle);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await post(ada.token, call(3, 'whoami'), sessionId, quickIdle)).status).toBe(404);
  });
});

describe('the model and the client, asked in a session', () => {
  beforeAll(() => {
    serverExtensions.push((server, build) => registerInputRequiredFixtures(server, build));
  });
  afterAll(() => {
    serverExtensions.pop();
  });

  it('sampling and roots are asked and answered on the call’s stream', async () => {
    const sessionId = await openSession(ada.token, EVERYTHING);
    const sampling = await startCall(ada.token, sessionId, call(10, 'test_input_required_result_sampling'));
    const asked = await nextMessage(sampling);
    expect(asked.method).toBe('sampling/createMessage');
    await post(
      ada.token,
      {
        jsonrpc: '2.0',
        id: asked.id,
        result: { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model' },
      },
      sessionId,
    );
    expect(JSON.stringify((await nextMessage(sampling)).result)).toContain('Sampling result: Paris');

    const roots = await startCall(ada.token, sessionId, call(11, 'test_input_required_result_list_roots'));
    const rootsAsked = await nextMessage(roots);
    expect(rootsAsked.method).toBe('roots/list');
    await post(
      ada.token,
      { jsonrpc: '2.0', id: rootsAsked.id, result: { roots: [{ uri: 'file:///work' }] } },
      sessionId,
    );
    expect(JSON.stringify((await nextMessage(roots)).result)).toContain('Found 1 root(s): file:///work');
  });

  it('what the client did not declare is never asked: the tool says so', async () => {
    const sessionId = await openSession(ada.token, FORM);
    const text = await toolText(
      await post(ada.token, call(12, 'test_input_required_result_sampling'), sessionId),
    );
    expect(text).toBe(
      'test_input_required_result_sampling needs to ask the client’s model for a completion (sampling), and this client did not declare that it can answer (the MCP "sampling" capability). Use a client that supports it.',
    );
  });
});
