// Confirmation before destruction, end to end, in both protocol eras: the SDK client as a
// 2026-07-28 client with form elicitation, and as a 2025-11-25 client with a session (the question
// comes on the call's own stream; src/mcp/session.ts). In 2026-07-28: notes_delete answers input_required; the SDK asks
// "the user" (our handler) and retries with the answer and the request state. Declining keeps
// the note, accepting deletes it; a tampered or replayed request state is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientOptions, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import { NotesApp } from './support/notes-app.ts';
import { type CallbackServer, startCallbackServer } from './support/oauth.ts';
import { type RunningServer, startServer } from './support/server.ts';

const MODERN: ClientOptions = {
  versionNegotiation: { mode: { pin: '2026-07-28' } },
  capabilities: { elicitation: { form: {} } },
};

const LEGACY: ClientOptions = {
  versionNegotiation: { mode: 'legacy' },
  capabilities: { elicitation: { form: {} } },
};

let server: RunningServer;
let callbacks: CallbackServer;
let app: NotesApp;
/** The same user's 2025-era app (its own grant), which gets a session because it can answer. */
let legacyApp: NotesApp;
/** What "the user" answers to the next question, and every question they were asked. */
let nextAnswer: ElicitResult = { action: 'decline' };
const questions: ElicitRequest['params'][] = [];

before(async () => {
  server = await startServer();
  callbacks = await startCallbackServer();
  app = new NotesApp(server.url, callbacks, 'Confirming app', MODERN);
  app.onClient = (client) =>
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(request.params);
      return nextAnswer;
    });
  await app.signIn('mcp notes:read notes:write', 'confirmer@example.com', 'elicitation');
  legacyApp = new NotesApp(server.url, callbacks, 'Confirming 2025 app', LEGACY);
  legacyApp.onClient = (client) =>
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(request.params);
      return nextAnswer;
    });
  await legacyApp.signIn('mcp notes:read notes:write', 'confirmer@example.com', 'elicitation-2025');
});

after(async () => {
  await legacyApp?.close();
  await app?.close();
  await callbacks?.close();
  await server?.stop();
});

async function createNote(title: string): Promise<string> {
  const created = await app.call('notes_create', { title, body: 'to be deleted, maybe' });
  return (created.structuredContent as { note: { id: string } }).note.id;
}

async function exists(id: string): Promise<boolean> {
  return (await app.call('notes_get', { id })).isError !== true;
}

/** A raw 2026-07-28 tools/call of notes_delete, as a client that declares form elicitation. */
async function rawDelete(
  id: string,
  retry: { inputResponses?: unknown; requestState?: string } = {},
): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const token = app.provider.tokens()?.access_token;
  assert.ok(token);
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2026-07-28',
      'Mcp-Method': 'tools/call',
      'Mcp-Name': 'notes_delete',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'notes_delete',
        arguments: { id },
        ...retry,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
        },
      },
    }),
  });
  assert.equal(response.status, 200);
  const text = await response.text();
  const data = text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
  return JSON.parse(data);
}

const ACCEPT = { confirm: { action: 'accept', content: { confirm: true } } };

describe('notes_delete confirms through elicitation (SDK client, 2026-07-28)', { timeout: 180_000 }, () => {
  test('the client negotiated 2026-07-28', () => {
    assert.equal(app.client?.getNegotiatedProtocolVersion(), '2026-07-28');
  });

  test('declining leaves the note', async () => {
    const id = await createNote('Keep me');
    nextAnswer = { action: 'decline' };
    const asked = questions.length;
    const result = await app.call('notes_delete', { id });
    assert.equal(questions.length, asked + 1, 'the user was asked once');
    assert.equal(questions.at(-1)?.message, 'Delete the note "Keep me"? This cannot be undone.');
    assert.deepEqual(result.structuredContent, { id, title: 'Keep me', deleted: false });
    assert.equal(await exists(id), true);
  });

  test('accepting deletes it', async () => {
    const id = await createNote('Delete me');
    nextAnswer = { action: 'accept', content: { confirm: true } };
    const result = await app.call('notes_delete', { id });
    assert.deepEqual(result.structuredContent, { id, title: 'Delete me', deleted: true });
    assert.equal(await exists(id), false);
  });

  test('a tampered request state is refused and nothing is deleted', async () => {
    const id = await createNote('Tamper');
    const first = await rawDelete(id);
    assert.equal(first.result?.resultType, 'input_required');
    const state = String(first.result?.requestState);
    const [version, payload = '', mac] = state.split('.');
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { p: { subject: string } };
    forged.p.subject = id; // same note, but re-encoded: any change breaks the signature
    const tampered = [
      version,
      Buffer.from(JSON.stringify({ ...forged, exp: 9_999_999_999 })).toString('base64url'),
      mac,
    ].join('.');
    const refused = await rawDelete(id, { inputResponses: ACCEPT, requestState: tampered });
    assert.equal(refused.result, undefined);
    assert.deepEqual(
      { code: refused.error?.code, message: refused.error?.message },
      { code: -32602, message: 'Invalid or expired requestState' },
    );
    assert.equal(await exists(id), true);
  });

  test('a replayed request state is refused: an answered "no" cannot become a "yes"', async () => {
    const id = await createNote('Replay');
    const first = await rawDelete(id);
    const state = String(first.result?.requestState);
    const declined = await rawDelete(id, {
      inputResponses: { confirm: { action: 'decline' } },
      requestState: state,
    });
    assert.deepEqual((declined.result as { structuredContent?: unknown }).structuredContent, {
      id,
      title: 'Replay',
      deleted: false,
    });
    const replayed = await rawDelete(id, { inputResponses: ACCEPT, requestState: state });
    assert.equal(replayed.error?.code, -32602);
    assert.equal(await exists(id), true);
  });
});

describe('notes_delete confirms through elicitation (SDK client, 2025-11-25, with a session)', {
  timeout: 180_000,
}, () => {
  test('the client negotiated 2025-11-25 and got a session', () => {
    assert.equal(legacyApp.client?.getNegotiatedProtocolVersion(), '2025-11-25');
    assert.match(legacyApp.transport?.sessionId ?? '', /^[0-9a-f]{32}$/);
  });

  test('the question comes on the call’s stream; declining keeps the note, accepting deletes it', async () => {
    const id = await createNote('Keep me, 2025');
    nextAnswer = { action: 'decline' };
    const asked = questions.length;
    const kept = await legacyApp.call('notes_delete', { id });
    assert.equal(questions.length, asked + 1, 'the user was asked once');
    assert.equal(questions.at(-1)?.message, 'Delete the note "Keep me, 2025"? This cannot be undone.');
    assert.deepEqual(kept.structuredContent, { id, title: 'Keep me, 2025', deleted: false });
    assert.equal(await exists(id), true);
    nextAnswer = { action: 'accept', content: { confirm: true } };
    const deleted = await legacyApp.call('notes_delete', { id });
    assert.deepEqual(deleted.structuredContent, { id, title: 'Keep me, 2025', deleted: true });
    assert.equal(await exists(id), false);
  });

  test('another app of the same user cannot use the session (404); after DELETE its owner cannot either', async () => {
    const sessionId = legacyApp.transport?.sessionId ?? '';
    const otherToken = app.provider.tokens()?.access_token ?? '';
    const post = (token: string) =>
      fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'MCP-Protocol-Version': '2025-11-25',
          'Mcp-Session-Id': sessionId,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list', params: {} }),
      });
    assert.equal((await post(otherToken)).status, 404);
    await legacyApp.transport?.terminateSession();
    assert.equal((await post(legacyApp.provider.tokens()?.access_token ?? '')).status, 404);
  });
});
