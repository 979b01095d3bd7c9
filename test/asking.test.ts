import { env } from 'cloudflare:workers';
import type { ServerContext } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerInputRequiredFixtures } from '../src/conformance/input-required';
import { MAX_REQUEST_STATE_LENGTH } from '../src/mcp/asking';
import {
  type AskState,
  callFingerprint,
  REQUEST_STATE_TTL_SECONDS,
  requestStateCodec,
} from '../src/mcp/request-state';
import { serverExtensions } from '../src/mcp/server';
import {
  answerOf,
  type JsonRpcResponse,
  LEGACY_VERSION,
  mcpPost,
  messagesOf,
  modernRequest,
} from './support/mcp';
import { connect } from './support/oauth';

/**
 * `elicit`, `sample`, `roots` and `canAsk` of a tool's context (src/mcp/asking.ts), through MCP
 * 2026-07-28 multi-round-trip requests, on the fixtures the conformance suite calls
 * (src/conformance/input-required.ts: `defineTool` tools using those same methods), added to the
 * product server for this file only. notes_delete's confirmation is test/confirmation.test.ts.
 */

interface App {
  token: string;
  clientId: string;
  userId: string;
}

const EVERYTHING = { elicitation: {}, sampling: {}, roots: {} };

interface Retry {
  inputResponses?: unknown;
  requestState?: string;
}

/** A 2026-07-28 request from a client that declares `capabilities` (all three by default). */
async function ask(
  caller: App,
  method: 'tools/call' | 'prompts/get',
  params: Record<string, unknown>,
  capabilities: Record<string, unknown> = EVERYTHING,
): Promise<{ status: number; answer: JsonRpcResponse }> {
  const { body, headers } = modernRequest(method, params);
  const meta = (body as { params: { _meta: Record<string, unknown> } }).params._meta;
  meta['io.modelcontextprotocol/clientCapabilities'] = capabilities;
  const response = await mcpPost(body, { token: caller.token, headers });
  return { status: response.status, answer: await answerOf(response) };
}

async function callTool(
  caller: App,
  name: string,
  retry: Retry = {},
  capabilities?: Record<string, unknown>,
): Promise<JsonRpcResponse> {
  const { status, answer } = await ask(caller, 'tools/call', { name, arguments: {}, ...retry }, capabilities);
  expect(status).toBe(200);
  return answer;
}

function textOf(answer: JsonRpcResponse): string {
  expect(answer.result?.isError, JSON.stringify(answer)).not.toBe(true);
  expect(answer.result?.resultType).toBe('complete');
  const content = (answer.result?.content ?? []) as Array<{ text?: string }>;
  return content[0]?.text ?? '';
}

function stateOf(answer: JsonRpcResponse): string {
  expect(answer.result?.resultType, JSON.stringify(answer)).toBe('input_required');
  const state = answer.result?.requestState;
  if (typeof state !== 'string') throw new Error(`no requestState in ${JSON.stringify(answer)}`);
  return state;
}

/** The keys of the questions an input_required answer asks. */
function askedKeys(answer: JsonRpcResponse): string[] {
  expect(answer.result?.resultType, JSON.stringify(answer)).toBe('input_required');
  return Object.keys(answer.result?.inputRequests as Record<string, unknown>);
}

function expectRefusedState(answer: JsonRpcResponse) {
  expect(answer.result).toBeUndefined();
  expect(answer.error).toEqual({
    code: -32602,
    message: 'Invalid or expired requestState',
    data: { reason: 'invalid_request_state' },
  });
}

const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });
const completion = (text: string) => ({
  role: 'assistant',
  content: { type: 'text', text },
  model: 'test-model',
  stopReason: 'endTurn',
});
const ROOTS = { roots: [{ uri: 'file:///work/project', name: 'Project' }] };

/** Flips one character of a state's part (1: payload, 2: signature), keeping it base64url. */
function tamper(state: string, part: 1 | 2): string {
  const parts = state.split('.');
  const text = parts[part] ?? '';
  const index = Math.floor(text.length / 2);
  parts[part] = `${text.slice(0, index)}${text[index] === 'A' ? 'B' : 'A'}${text.slice(index + 1)}`;
  return parts.join('.');
}

async function app(email: string): Promise<App> {
  const { tokens, client } = await connect(email);
  return { token: tokens.access_token, clientId: client.client_id, userId: `demo:${email}` };
}

let ada: App;
let bob: App;

beforeAll(async () => {
  serverExtensions.push(registerInputRequiredFixtures);
  [ada, bob] = await Promise.all([app('ada-asks@example.com'), app('bob-asks@example.com')]);
});

afterAll(() => {
  serverExtensions.splice(serverExtensions.indexOf(registerInputRequiredFixtures), 1);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('elicit: a form for the user', () => {
  it('first answers input_required: the form (converted from zod) and a signed request state', async () => {
    const answer = await callTool(ada, 'test_input_required_result_elicitation');
    expect(answer.result).toEqual({
      resultType: 'input_required',
      inputRequests: {
        user_name: {
          method: 'elicitation/create',
          params: {
            mode: 'form',
            message: 'What is your name?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
          },
        },
      },
      requestState: expect.stringMatching(/^v1\.[\w-]+\.[\w-]+$/),
      _meta: expect.any(Object),
    });
  });

  it('the answer completes the call, with or without the state (it is as trusted as an argument)', async () => {
    const state = stateOf(await callTool(ada, 'test_input_required_result_elicitation'));
    const withState = await callTool(ada, 'test_input_required_result_elicitation', {
      inputResponses: { user_name: accept({ name: 'Ada' }) },
      requestState: state,
    });
    expect(textOf(withState)).toBe('Hello, Ada!');
    expect(withState.result?.structuredContent).toEqual({ text: 'Hello, Ada!' });
    const without = await callTool(ada, 'test_input_required_result_elicitation', {
      inputResponses: { user_name: accept({ name: 'Grace' }) },
    });
    expect(textOf(without)).toBe('Hello, Grace!');
  });

  it('a decline or a cancel reaches the tool as such', async () => {
    for (const action of ['decline', 'cancel']) {
      const answer = await callTool(ada, 'test_input_required_result_elicitation', {
        inputResponses: { user_name: { action } },
      });
      expect(textOf(answer)).toBe(`No name given (${action}).`);
    }
  });

  it.each([
    ['no answer under its key', { wrong_key: accept({ name: 'Ada' }) }],
    ['an answer that does not fit the form', { user_name: accept({ name: 42 }) }],
    ['an accepted form without content', { user_name: { action: 'accept' } }],
    ['a sampling result instead of a form', { user_name: completion('Ada') }],
  ])('%s: the question is asked again', async (_case, inputResponses) => {
    const answer = await callTool(ada, 'test_input_required_result_elicitation', { inputResponses });
    expect(askedKeys(answer)).toEqual(['user_name']);
  });

  it('extra answers are ignored', async () => {
    const answer = await callTool(ada, 'test_input_required_result_elicitation', {
      inputResponses: { user_name: accept({ name: 'Ada' }), other: accept({ x: 1 }), more: ROOTS },
    });
    expect(textOf(answer)).toBe('Hello, Ada!');
  });
});

describe('sample: a completion from the client’s model', () => {
  it('asks sampling/createMessage with the messages and options, and returns the completion', async () => {
    const first = await callTool(ada, 'test_input_required_result_sampling');
    expect(first.result?.inputRequests).toEqual({
      capital_question: {
        method: 'sampling/createMessage',
        params: {
          maxTokens: 100,
          messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
        },
      },
    });
    const answer = await callTool(ada, 'test_input_required_result_sampling', {
      inputResponses: { capital_question: completion('Paris.') },
      requestState: stateOf(first),
    });
    expect(textOf(answer)).toBe('Sampling result: Paris.');
  });

  it('a completion without a model or content is asked for again', async () => {
    const answer = await callTool(ada, 'test_input_required_result_sampling', {
      inputResponses: { capital_question: { role: 'assistant', content: { type: 'text', text: 'Paris.' } } },
    });
    expect(askedKeys(answer)).toEqual(['capital_question']);
  });
});

describe('roots: the client’s roots', () => {
  it('asks roots/list and returns the roots', async () => {
    const first = await callTool(ada, 'test_input_required_result_list_roots');
    expect(first.result?.inputRequests).toEqual({ client_roots: { method: 'roots/list' } });
    const answer = await callTool(ada, 'test_input_required_result_list_roots', {
      inputResponses: { client_roots: ROOTS },
      requestState: stateOf(first),
    });
    expect(textOf(answer)).toBe('Found 1 root(s): file:///work/project');
  });

  it('a malformed roots answer is asked for again', async () => {
    const answer = await callTool(ada, 'test_input_required_result_list_roots', {
      inputResponses: { client_roots: { roots: [{ name: 'no uri' }] } },
    });
    expect(askedKeys(answer)).toEqual(['client_roots']);
  });
});

describe('several questions, several rounds', () => {
  it('questions awaited together go out in one round', async () => {
    const first = await callTool(ada, 'test_input_required_result_multiple_inputs');
    expect(askedKeys(first)).toEqual(['user_name', 'greeting', 'client_roots']);
    const answer = await callTool(ada, 'test_input_required_result_multiple_inputs', {
      inputResponses: {
        user_name: accept({ name: 'Ada' }),
        greeting: completion('Hi!'),
        client_roots: ROOTS,
      },
      requestState: stateOf(first),
    });
    expect(textOf(answer)).toBe('Name: Ada; Greeting: Hi!; Roots: 1');
  });

  it('a partial answer is kept in the new state: only the missing questions are asked again', async () => {
    const first = await callTool(ada, 'test_input_required_result_multiple_inputs');
    const second = await callTool(ada, 'test_input_required_result_multiple_inputs', {
      inputResponses: { user_name: accept({ name: 'Ada' }) },
      requestState: stateOf(first),
    });
    expect(askedKeys(second)).toEqual(['greeting', 'client_roots']);
    const third = await callTool(ada, 'test_input_required_result_multiple_inputs', {
      inputResponses: { greeting: completion('Hello'), client_roots: { roots: [] } },
      requestState: stateOf(second),
    });
    expect(textOf(third)).toBe('Name: Ada; Greeting: Hello; Roots: 0');
  });

  it('rounds in sequence carry the earlier answers in a new state each time', async () => {
    const first = await callTool(ada, 'test_input_required_result_multi_round');
    expect(askedKeys(first)).toEqual(['step1']);
    const second = await callTool(ada, 'test_input_required_result_multi_round', {
      inputResponses: { step1: accept({ name: 'Ada' }) },
      requestState: stateOf(first),
    });
    expect(askedKeys(second)).toEqual(['step2']);
    expect(stateOf(second)).not.toBe(stateOf(first));
    const third = await callTool(ada, 'test_input_required_result_multi_round', {
      inputResponses: { step2: accept({ color: 'green' }) },
      requestState: stateOf(second),
    });
    expect(textOf(third)).toBe('Multi-round complete for Ada who likes green');
    // Without the state, the first answer is gone: the first question comes again.
    const forgetful = await callTool(ada, 'test_input_required_result_multi_round', {
      inputResponses: { step2: accept({ color: 'green' }) },
    });
    expect(askedKeys(forgetful)).toEqual(['step1']);
  });

  it('a prompt asks through the same machinery (prompts/get)', async () => {
    const first = await ask(ada, 'prompts/get', { name: 'test_input_required_result_prompt' });
    expect(askedKeys(first.answer)).toEqual(['user_context']);
    const done = await ask(ada, 'prompts/get', {
      name: 'test_input_required_result_prompt',
      inputResponses: { user_context: accept({ context: 'taxes' }) },
      requestState: stateOf(first.answer),
    });
    expect(done.answer.result?.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'Prompt with context: taxes' } },
    ]);
  });
});

describe('the request state is checked before the tool runs', () => {
  it.each([
    ['its payload changed', (state: string) => tamper(state, 1)],
    ['its signature changed', (state: string) => tamper(state, 2)],
    ['garbage', () => 'not-a-state'],
    ['something appended', (state: string) => `${state}-TAMPERED`],
  ])('a state with %s is refused (-32602)', async (_case, alter) => {
    const first = await callTool(ada, 'test_input_required_result_multi_round');
    expectRefusedState(
      await callTool(ada, 'test_input_required_result_multi_round', {
        inputResponses: { step1: accept({ name: 'Ada' }) },
        requestState: alter(stateOf(first)),
      }),
    );
  });

  it("another user's state is refused, for the very same call", async () => {
    const bobs = stateOf(await callTool(bob, 'test_input_required_result_multi_round'));
    expectRefusedState(
      await callTool(ada, 'test_input_required_result_multi_round', {
        inputResponses: { step1: accept({ name: 'Ada' }) },
        requestState: bobs,
      }),
    );
  });

  it('a state issued to another app of the same user is refused', async () => {
    const codec = await requestStateCodec(env, { userId: ada.userId, clientId: 'another-app' });
    const state = await codec.mint(await multiRoundState({ step1: accept({ name: 'Eve' }) }), NO_CONTEXT);
    expectRefusedState(
      await callTool(ada, 'test_input_required_result_multi_round', {
        inputResponses: { step2: accept({ color: 'red' }) },
        requestState: state,
      }),
    );
  });

  it('an expired state is refused; the same state, fresh, is accepted', async () => {
    const codec = await requestStateCodec(env, { userId: ada.userId, clientId: ada.clientId });
    const payload = await multiRoundState({ step1: accept({ name: 'Ada' }) });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - (REQUEST_STATE_TTL_SECONDS + 1) * 1000 });
    const expired = await codec.mint(payload, NO_CONTEXT);
    vi.useRealTimers();
    const retry = { inputResponses: { step2: accept({ color: 'red' }) } };
    expectRefusedState(
      await callTool(ada, 'test_input_required_result_multi_round', { ...retry, requestState: expired }),
    );
    const fresh = await codec.mint(payload, NO_CONTEXT);
    const answer = await callTool(ada, 'test_input_required_result_multi_round', {
      ...retry,
      requestState: fresh,
    });
    expect(textOf(answer)).toBe('Multi-round complete for Ada who likes red');
  });

  it("a state of another call is not an answer to this one's questions", async () => {
    const state = stateOf(await callTool(ada, 'test_input_required_result_multi_round'));
    const answer = await callTool(ada, 'test_input_required_result_elicitation', {
      inputResponses: { user_name: accept({ name: 'Ada' }) },
      requestState: state,
    });
    expect(answer.result).toMatchObject({
      isError: true,
      content: [
        {
          type: 'text',
          text: 'These answers were given for another call. Call test_input_required_result_elicitation again to be asked anew.',
        },
      ],
    });
  });
});

describe('single-use questions (once)', () => {
  it('count only with the state of the round that asked them, and only once', async () => {
    const first = await callTool(ada, 'test_input_required_result_request_state');
    const yes = { confirm: accept({ ok: true }) };
    // Without its state the answer does not count: the question comes again.
    expect(
      askedKeys(await callTool(ada, 'test_input_required_result_request_state', { inputResponses: yes })),
    ).toEqual(['confirm']);
    const state = stateOf(first);
    const used = await callTool(ada, 'test_input_required_result_request_state', {
      inputResponses: yes,
      requestState: state,
    });
    expect(textOf(used)).toBe('state-ok: the request state was verified and its answer used once (ok: true)');
    expectRefusedState(
      await callTool(ada, 'test_input_required_result_request_state', {
        inputResponses: yes,
        requestState: state,
      }),
    );
  });

  it('a plain question is not single use: its state may be echoed again', async () => {
    const state = stateOf(await callTool(ada, 'test_input_required_result_tampered_state'));
    for (let round = 0; round < 2; round++) {
      const answer = await callTool(ada, 'test_input_required_result_tampered_state', {
        inputResponses: { confirm: accept({ ok: true }) },
        requestState: state,
      });
      expect(textOf(answer)).toBe('integrity-ok: state verified (accept)');
    }
  });
});

describe('only what the client declared it can answer', () => {
  it('a tool that needs sampling, from a client without it: -32021, HTTP 400, nothing asked', async () => {
    const { status, answer } = await ask(
      ada,
      'tools/call',
      { name: 'test_missing_capability', arguments: {} },
      {},
    );
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
    expect(answer.result).toBeUndefined();
  });

  it.each([
    [
      'no elicitation',
      'test_input_required_result_elicitation',
      { sampling: {} },
      { elicitation: { form: {} } },
    ],
    [
      'URL elicitation only',
      'test_input_required_result_elicitation',
      { elicitation: { url: {} } },
      { elicitation: { form: {} } },
    ],
    ['no roots', 'test_input_required_result_list_roots', { elicitation: {} }, { roots: {} }],
  ])('%s: the asking tool is refused with the missing capability', async (_case, name, declared, missing) => {
    const { status, answer } = await ask(ada, 'tools/call', { name, arguments: {} }, declared);
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({ code: -32021, data: { requiredCapabilities: missing } });
  });

  it('a tool that can do without asks only what was declared (canAsk)', async () => {
    const sampling = await callTool(ada, 'test_input_required_result_capabilities', {}, { sampling: {} });
    expect(askedKeys(sampling)).toEqual(['sample_input']);
    const both = await callTool(ada, 'test_input_required_result_capabilities');
    expect(askedKeys(both)).toEqual(['elicit_input', 'sample_input']);
    const none = await callTool(ada, 'test_input_required_result_capabilities', {}, {});
    expect(textOf(none)).toBe('No supported capabilities declared');
  });

  it('the same tool, with sampling declared, asks and completes', async () => {
    const first = await callTool(ada, 'test_missing_capability', {}, { sampling: {} });
    expect(askedKeys(first)).toEqual(['needed']);
    const done = await callTool(
      ada,
      'test_missing_capability',
      { inputResponses: { needed: completion('Success') }, requestState: stateOf(first) },
      { sampling: {} },
    );
    expect(textOf(done)).toBe('Success');
  });
});

describe('a stateless 2025-era request (a client that declared nothing it answers) is not asked', () => {
  it.each([
    ['test_input_required_result_elicitation', 'the user a question (elicitation)', 'elicitation'],
    ['test_input_required_result_sampling', 'the client’s model for a completion (sampling)', 'sampling'],
    ['test_input_required_result_list_roots', 'the client for its roots', 'roots'],
  ])('%s fails at once with a message that says why', async (name, what, kind) => {
    const response = await mcpPost(
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } },
      { token: ada.token, headers: { 'MCP-Protocol-Version': LEGACY_VERSION } },
    );
    const messages = await messagesOf(response);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.result).toEqual({
      isError: true,
      content: [
        {
          type: 'text',
          text: `${name} needs to ask ${what}, and this client (MCP ${LEGACY_VERSION}) did not declare that it can answer (the MCP "${kind}" capability). Use a client that supports it.`,
        },
      ],
    });
  });
});

describe('limits', () => {
  it('answers too large to carry in a request state end the call with a message', async () => {
    const huge = 'x'.repeat(MAX_REQUEST_STATE_LENGTH);
    const answer = await callTool(ada, 'test_input_required_result_multi_round', {
      inputResponses: { step1: accept({ name: huge }) },
    });
    expect(answer.result).toMatchObject({ isError: true });
    expect(JSON.stringify(answer.result?.content)).toContain('too large to carry to the next question');
  });

  it('no log message reaches a request that set no log level', async () => {
    const { body, headers } = modernRequest('tools/call', { name: 'test_logging_tool', arguments: {} });
    const messages = await messagesOf(await mcpPost(body, { token: ada.token, headers }));
    expect(messages.map((message) => ('method' in message ? message.method : 'result'))).toEqual(['result']);
  });
});

/** Our codec binds to the holder it was made for, not to the request context. */
const NO_CONTEXT = {} as ServerContext;

/** The state test_input_required_result_multi_round mints after its first answer. */
async function multiRoundState(answers: Record<string, unknown>): Promise<AskState> {
  return {
    v: 2,
    call: await callFingerprint('tools/call', 'test_input_required_result_multi_round', {}),
    answers,
  };
}
