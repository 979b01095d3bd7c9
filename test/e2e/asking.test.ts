// Tools that ask the user, the client's model or the client, end to end: the SDK client as a
// 2026-07-28 client (signed in through Chromium) against the conformance build, whose fixture
// tools ask through context.elicit / sample / roots (src/conformance/input-required.ts). The SDK
// answers each input_required round with the handlers the app registered ("the user" is ours)
// and retries with the answers and the request state, until the tool completes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  type ClientOptions,
  type CreateMessageRequest,
  type ElicitRequest,
  type ElicitResult,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { NotesApp } from './support/notes-app.ts';
import { type CallbackServer, startCallbackServer } from './support/oauth.ts';
import { type RunningServer, startServer } from './support/server.ts';

const MODERN: ClientOptions = {
  versionNegotiation: { mode: { pin: '2026-07-28' } },
  capabilities: { elicitation: { form: {} }, sampling: {}, roots: {} },
};

let server: RunningServer;
let callbacks: CallbackServer;
let app: NotesApp;
/** What "the user" answers next, and every question they, the model and the roots handler got. */
let nextAnswers: ElicitResult[] = [];
const questions: ElicitRequest['params'][] = [];
const samplings: CreateMessageRequest['params'][] = [];
let rootsAsked = 0;

before(async () => {
  server = await startServer({ config: 'wrangler.conformance.jsonc' });
  callbacks = await startCallbackServer();
  app = new NotesApp(server.url, callbacks, 'Asking app', MODERN);
  app.onClient = (client) => {
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(request.params);
      return nextAnswers.shift() ?? { action: 'cancel' };
    });
    client.setRequestHandler('sampling/createMessage', async (request) => {
      samplings.push(request.params);
      return {
        role: 'assistant',
        content: { type: 'text', text: 'Hello from the model' },
        model: 'e2e-model',
        stopReason: 'endTurn',
      };
    });
    client.setRequestHandler('roots/list', async () => {
      rootsAsked++;
      return { roots: [{ uri: 'file:///home/ada/project', name: 'Project' }] };
    });
  };
  await app.signIn('mcp', 'asker@example.com', 'asking');
});

after(async () => {
  await app?.close();
  await callbacks?.close();
  await server?.stop();
});

function textOf(result: Awaited<ReturnType<NotesApp['call']>>): string {
  assert.notEqual(result.isError, true, JSON.stringify(result));
  const first = (result.content as Array<{ type: string; text?: string }>)[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}

describe('a tool asks, the client’s handlers answer (SDK client, 2026-07-28)', { timeout: 180_000 }, () => {
  test('the client negotiated 2026-07-28', () => {
    assert.equal(app.client?.getNegotiatedProtocolVersion(), '2026-07-28');
  });

  test('a tool elicits a form; the answer completes the call', async () => {
    nextAnswers = [{ action: 'accept', content: { name: 'Ada' } }];
    const asked = questions.length;
    const result = await app.call('test_input_required_result_elicitation', {});
    assert.equal(textOf(result), 'Hello, Ada!');
    assert.equal(questions.length, asked + 1, 'the user was asked once');
    const question = questions.at(-1);
    assert.ok(question && question.mode !== 'url', 'a form question');
    assert.equal(question.message, 'What is your name?');
    assert.deepEqual(question.requestedSchema, {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    });
  });

  test('a declined form reaches the tool as a decline', async () => {
    nextAnswers = [{ action: 'decline' }];
    assert.equal(
      textOf(await app.call('test_input_required_result_elicitation', {})),
      'No name given (decline).',
    );
  });

  test('two questions in sequence: the first answer travels in the request state', async () => {
    nextAnswers = [
      { action: 'accept', content: { name: 'Ada' } },
      { action: 'accept', content: { color: 'teal' } },
    ];
    const asked = questions.length;
    const result = await app.call('test_input_required_result_multi_round', {});
    assert.equal(textOf(result), 'Multi-round complete for Ada who likes teal');
    assert.deepEqual(
      questions.slice(asked).map((question) => question.message),
      ['Step 1: What is your name?', 'Step 2: What is your favorite color?'],
    );
  });

  test('the user, the model and the roots, asked in one round', async () => {
    nextAnswers = [{ action: 'accept', content: { name: 'Grace' } }];
    const [asked, sampled, rooted] = [questions.length, samplings.length, rootsAsked];
    const result = await app.call('test_input_required_result_multiple_inputs', {});
    assert.equal(textOf(result), 'Name: Grace; Greeting: Hello from the model; Roots: 1');
    assert.deepEqual([questions.length - asked, samplings.length - sampled, rootsAsked - rooted], [1, 1, 1]);
    assert.deepEqual(samplings.at(-1)?.messages, [
      { role: 'user', content: { type: 'text', text: 'Generate a greeting' } },
    ]);
  });

  test('a client that did not declare sampling is refused with -32021, and never asked', async () => {
    const formsOnly = new Client(
      { name: 'Forms-only app', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } },
    );
    formsOnly.setRequestHandler('elicitation/create', async () => ({ action: 'cancel' }));
    await formsOnly.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: app.provider }),
    );
    try {
      const sampled = samplings.length;
      await assert.rejects(
        formsOnly.callTool({ name: 'test_missing_capability', arguments: {} }),
        (error) => {
          const { code, data } = error as { code?: number; data?: unknown };
          assert.equal(code, -32021);
          assert.deepEqual(data, { requiredCapabilities: { sampling: {} } });
          return true;
        },
      );
      assert.equal(samplings.length, sampled);
    } finally {
      await formsOnly.close();
    }
  });
});
