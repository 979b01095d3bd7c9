import { env } from 'cloudflare:workers';
import type { ServerContext } from '@modelcontextprotocol/server';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ANSWER_MEMORY_MS } from '../src/mcp/answer-ledger';
import {
  type AskState,
  callFingerprint,
  REQUEST_STATE_TTL_SECONDS,
  requestStateCodec,
} from '../src/mcp/request-state';
import { answerOf, type JsonRpcResponse, LEGACY_VERSION, mcpPost, modernRequest } from './support/mcp';
import { ALL_SCOPES, connect } from './support/oauth';

interface App {
  token: string;
  clientId: string;
  userId: string;
}

async function app(email: string): Promise<App> {
  const { tokens, client } = await connect(email, { request: ALL_SCOPES });
  return { token: tokens.access_token, clientId: client.client_id, userId: `demo:${email}` };
}

/** A 2026-07-28 tools/call from a client that declares form elicitation (unless told otherwise). */
async function call(
  caller: App,
  name: string,
  args: Record<string, unknown>,
  retry: { inputResponses?: Record<string, unknown>; requestState?: string } = {},
  capabilities: Record<string, unknown> = { elicitation: {} },
): Promise<JsonRpcResponse> {
  const { body, headers } = modernRequest('tools/call', { name, arguments: args, ...retry });
  const meta = (body as { params: { _meta: Record<string, unknown> } }).params._meta;
  meta['io.modelcontextprotocol/clientCapabilities'] = capabilities;
  const response = await mcpPost(body, { token: caller.token, headers });
  expect(response.status).toBe(200);
  return answerOf(response);
}

async function createNote(caller: App, title: string): Promise<string> {
  const answer = await call(caller, 'notes_create', { title, body: 'text' });
  const created = answer.result?.structuredContent as { note: { id: string } } | undefined;
  if (!created) throw new Error(`notes_create failed: ${JSON.stringify(answer)}`);
  return created.note.id;
}

async function exists(caller: App, id: string): Promise<boolean> {
  const answer = await call(caller, 'notes_get', { id });
  return answer.result?.isError !== true;
}

/** The first round of a delete: the question and the state to echo. */
async function askToDelete(caller: App, id: string): Promise<string> {
  const answer = await call(caller, 'notes_delete', { id });
  expect(answer.result?.resultType).toBe('input_required');
  const state = answer.result?.requestState;
  if (typeof state !== 'string') throw new Error('no requestState');
  return state;
}

/** Our codec binds to the holder it was made for, not to the request context. */
const NO_CONTEXT = {} as ServerContext;

/** The state notes_delete mints when it asks to confirm deleting `id`, with its single-use nonce. */
async function deleteState(id: string, nonce: string): Promise<AskState> {
  const call = await callFingerprint('tools/call', 'notes_delete', { id });
  return { v: 2, call, answers: {}, once: { nonce, keys: ['confirm'] } };
}

const ACCEPT = { confirm: { action: 'accept', content: { confirm: true } } };
const DECLINE = { confirm: { action: 'decline' } };

function expectRefusedState(answer: JsonRpcResponse) {
  expect(answer.result).toBeUndefined();
  expect(answer.error).toMatchObject({
    code: -32602,
    message: 'Invalid or expired requestState',
    data: { reason: 'invalid_request_state' },
  });
}

let ada: App;
let bob: App;

beforeAll(async () => {
  [ada, bob] = await Promise.all([app('ada-confirm@example.com'), app('bob-confirm@example.com')]);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('notes_delete asks the user to confirm (MCP 2026-07-28 multi-round-trip)', () => {
  it('first answers input_required: a yes/no form elicitation and a signed state', async () => {
    const id = await createNote(ada, 'Question');
    const answer = await call(ada, 'notes_delete', { id });
    expect(answer.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: {
        confirm: {
          method: 'elicitation/create',
          params: {
            mode: 'form',
            message: 'Delete the note "Question"? This cannot be undone.',
            requestedSchema: {
              type: 'object',
              properties: {
                confirm: {
                  type: 'boolean',
                  title: 'Yes, do it',
                  description: 'Tick to confirm. This cannot be undone.',
                },
              },
              required: ['confirm'],
            },
          },
        },
      },
    });
    expect(answer.result?.requestState).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(answer.result).not.toHaveProperty('ttlMs');
    expect(await exists(ada, id)).toBe(true);
  });

  it('declining keeps the note; accepting deletes it', async () => {
    const id = await createNote(ada, 'Maybe');
    const declined = await call(
      ada,
      'notes_delete',
      { id },
      { inputResponses: DECLINE, requestState: await askToDelete(ada, id) },
    );
    expect(declined.result?.structuredContent).toEqual({ id, title: 'Maybe', deleted: false });
    expect(await exists(ada, id)).toBe(true);

    const accepted = await call(
      ada,
      'notes_delete',
      { id },
      { inputResponses: ACCEPT, requestState: await askToDelete(ada, id) },
    );
    expect(accepted.result?.structuredContent).toEqual({ id, title: 'Maybe', deleted: true });
    expect(await exists(ada, id)).toBe(false);
  });

  it('an accepted form that leaves the box unticked keeps the note', async () => {
    const id = await createNote(ada, 'Unticked');
    const state = await askToDelete(ada, id);
    const answer = await call(
      ada,
      'notes_delete',
      { id },
      {
        inputResponses: { confirm: { action: 'accept', content: { confirm: false } } },
        requestState: state,
      },
    );
    expect(answer.result?.structuredContent).toMatchObject({ deleted: false });
    expect(await exists(ada, id)).toBe(true);
  });

  it('an answer without the state is not a confirmation: the question comes again', async () => {
    const id = await createNote(ada, 'Stateless');
    const answer = await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT });
    expect(answer.result?.resultType).toBe('input_required');
    expect(await exists(ada, id)).toBe(true);
  });

  it('a replayed state is refused: the "no" answered once cannot be turned into a "yes"', async () => {
    const id = await createNote(ada, 'Replay');
    const state = await askToDelete(ada, id);
    await call(ada, 'notes_delete', { id }, { inputResponses: DECLINE, requestState: state });
    expectRefusedState(
      await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: state }),
    );
    expect(await exists(ada, id)).toBe(true);
  });

  it('a state that deleted once is refused the second time', async () => {
    const id = await createNote(ada, 'Once');
    const state = await askToDelete(ada, id);
    await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: state });
    expectRefusedState(
      await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: state }),
    );
  });

  it.each([
    ['its payload changed', (state: string) => tamper(state, 1)],
    ['its signature changed', (state: string) => tamper(state, 2)],
    ['garbage', () => 'not-a-state'],
  ])('a state with %s is refused, and nothing is deleted', async (_case, alter) => {
    const id = await createNote(ada, 'Tamper');
    const state = await askToDelete(ada, id);
    expectRefusedState(
      await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: alter(state) }),
    );
    expect(await exists(ada, id)).toBe(true);
  });

  it("another user's state is refused (bound to the user), even for their own note", async () => {
    const id = await createNote(bob, 'Bob’s');
    const adasState = await askToDelete(ada, await createNote(ada, 'Ada’s'));
    expectRefusedState(
      await call(bob, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: adasState }),
    );
    expect(await exists(bob, id)).toBe(true);
  });

  it('a state issued to another app of the same user is refused (bound to the app)', async () => {
    const id = await createNote(ada, 'Other app');
    const codec = await requestStateCodec(env, { userId: ada.userId, clientId: 'another-app' });
    const state = await codec.mint(await deleteState(id, 'n-other-app'), NO_CONTEXT);
    expectRefusedState(
      await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: state }),
    );
    expect(await exists(ada, id)).toBe(true);
  });

  it('an expired state is refused', async () => {
    const id = await createNote(ada, 'Expired');
    const codec = await requestStateCodec(env, { userId: ada.userId, clientId: ada.clientId });
    const expiredPayload = await deleteState(id, 'n-expired');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - (REQUEST_STATE_TTL_SECONDS + 1) * 1000 });
    const state = await codec.mint(expiredPayload, NO_CONTEXT);
    vi.useRealTimers();
    // The same state, freshly minted, would be accepted: only its age is wrong.
    const fresh = await codec.mint(await deleteState(id, 'n-fresh'), NO_CONTEXT);
    expectRefusedState(
      await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: state }),
    );
    expect(await exists(ada, id)).toBe(true);
    const accepted = await call(ada, 'notes_delete', { id }, { inputResponses: ACCEPT, requestState: fresh });
    expect(accepted.result?.structuredContent).toMatchObject({ deleted: true });
  });

  it('a state given for one note cannot delete another', async () => {
    const asked = await createNote(ada, 'Asked about');
    const other = await createNote(ada, 'Other');
    const state = await askToDelete(ada, asked);
    const answer = await call(
      ada,
      'notes_delete',
      { id: other },
      { inputResponses: ACCEPT, requestState: state },
    );
    expect(answer.result?.isError).toBe(true);
    expect(answer.result?.content).toEqual([
      {
        type: 'text',
        text: 'These answers were given for another call. Call notes_delete again to be asked anew.',
      },
    ]);
    expect(await exists(ada, other)).toBe(true);
  });

  it('answered confirmations are remembered longer than a state lives', () => {
    expect(ANSWER_MEMORY_MS).toBeGreaterThan(REQUEST_STATE_TTL_SECONDS * 1000);
  });
});

describe('clients that cannot be asked must pass confirm: true', () => {
  it('a 2025-era client: refused with the reason, then deleted with confirm: true', async () => {
    const id = await createNote(ada, 'Legacy');
    const legacy = async (args: Record<string, unknown>) =>
      answerOf(
        await mcpPost(
          { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'notes_delete', arguments: args } },
          { token: ada.token, headers: { 'MCP-Protocol-Version': LEGACY_VERSION } },
        ),
      );
    const refused = await legacy({ id });
    expect(refused.result?.isError).toBe(true);
    expect(JSON.stringify(refused.result?.content)).toContain('call notes_delete again with confirm: true');
    expect(await exists(ada, id)).toBe(true);
    const deleted = await legacy({ id, confirm: true });
    expect(deleted.result?.structuredContent).toEqual({ id, title: 'Legacy', deleted: true });
  });

  it('a 2026 client without form elicitation is treated the same', async () => {
    const id = await createNote(ada, 'No elicitation');
    const refused = await call(ada, 'notes_delete', { id }, {}, {});
    expect(refused.result?.isError).toBe(true);
    expect(await exists(ada, id)).toBe(true);
    const urlOnly = await call(ada, 'notes_delete', { id }, {}, { elicitation: { url: {} } });
    expect(urlOnly.result?.isError).toBe(true);
    const deleted = await call(ada, 'notes_delete', { id, confirm: true }, {}, {});
    expect(deleted.result?.structuredContent).toMatchObject({ deleted: true });
  });

  it('a client that can be asked is asked, even when it passes confirm: true', async () => {
    const id = await createNote(ada, 'Ask anyway');
    const answer = await call(ada, 'notes_delete', { id, confirm: true });
    expect(answer.result?.resultType).toBe('input_required');
    expect(await exists(ada, id)).toBe(true);
  });
});

/** Flips one character of a state's part (1: payload, 2: signature), keeping it base64url. */
function tamper(state: string, part: 1 | 2): string {
  const parts = state.split('.');
  const text = parts[part] ?? '';
  const index = Math.floor(text.length / 2);
  const flipped = text[index] === 'A' ? 'B' : 'A';
  parts[part] = `${text.slice(0, index)}${flipped}${text.slice(index + 1)}`;
  return parts.join('.');
}
