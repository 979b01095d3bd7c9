import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { taskRunnerOf } from '../src/mcp/tasks/extension';
import {
  answerOf,
  type JsonRpcResponse,
  MODERN_VERSION,
  mcpPost,
  messagesOf,
  modernMeta,
} from './support/mcp';
import { ALL_SCOPES, connect } from './support/oauth';
import './support/task-tools';

const TASKS = 'io.modelcontextprotocol/tasks';
const WITH_TASKS = { extensions: { [TASKS]: {} }, elicitation: {} };

interface App {
  token: string;
  clientId: string;
  userId: string;
}

async function app(email: string, scopes = ALL_SCOPES): Promise<App> {
  const { tokens, client } = await connect(email, { request: scopes });
  return { token: tokens.access_token, clientId: client.client_id, userId: `demo:${email}` };
}

/**
 * A 2026-07-28 request as a client sends it: the envelope with `capabilities`, and the standard
 * headers (`Mcp-Name`: the tool name, or the task id of `tasks/*`).
 */
async function request(
  caller: App,
  method: string,
  params: Record<string, unknown>,
  capabilities: Record<string, unknown> = WITH_TASKS,
): Promise<{ status: number; answer: JsonRpcResponse }> {
  const headers: Record<string, string> = { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': method };
  const name = params.name ?? params.taskId;
  if (typeof name === 'string') headers['Mcp-Name'] = name;
  const meta = { ...modernMeta(), 'io.modelcontextprotocol/clientCapabilities': capabilities };
  const response = await mcpPost(
    { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } },
    { token: caller.token, headers },
  );
  return { status: response.status, answer: await answerOf(response) };
}

async function result(
  caller: App,
  method: string,
  params: Record<string, unknown>,
  capabilities: Record<string, unknown> = WITH_TASKS,
) {
  const { answer } = await request(caller, method, params, capabilities);
  if (!answer.result) throw new Error(`${method} failed: ${JSON.stringify(answer.error)}`);
  return answer.result;
}

/** Starts a task tool and returns the `CreateTaskResult`. */
async function startTask(caller: App, name: string, args: Record<string, unknown> = {}) {
  const created = await result(caller, 'tools/call', { name, arguments: args });
  expect(created.resultType).toBe('task');
  return created as Record<string, unknown> & { taskId: string };
}

async function getTask(caller: App, taskId: string) {
  return result(caller, 'tasks/get', { taskId });
}

/** Polls `tasks/get` until `done` says so (the alarm runs the work in real time). */
async function pollUntil(caller: App, taskId: string, done: (task: Record<string, unknown>) => boolean) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const task = await getTask(caller, taskId);
    if (done(task)) return task;
    if (Date.now() > deadline) throw new Error(`Task still ${String(task.status)}: ${JSON.stringify(task)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const terminal = (task: Record<string, unknown>) =>
  ['completed', 'failed', 'cancelled'].includes(String(task.status));

async function createNote(caller: App, title: string, body: string): Promise<void> {
  const created = await result(caller, 'tools/call', { name: 'notes_create', arguments: { title, body } });
  expect(created.isError).toBeUndefined();
}

function expectNotFound(answer: JsonRpcResponse) {
  expect(answer.result).toBeUndefined();
  expect(answer.error).toEqual({ code: -32602, message: 'Failed to retrieve task: Task not found' });
}

let ada: App;
let bob: App;

beforeAll(async () => {
  [ada, bob] = await Promise.all([app('ada-tasks@example.com'), app('bob-tasks@example.com')]);
});

describe('the tasks extension is declared and negotiated per request', () => {
  it('server/discover lists io.modelcontextprotocol/tasks under capabilities.extensions', async () => {
    const discovered = await result(ada, 'server/discover', {});
    expect(discovered.capabilities).toMatchObject({ extensions: { [TASKS]: {} } });
    expect(discovered.capabilities).not.toHaveProperty('tasks');
  });

  it('tasks/get, tasks/update and tasks/cancel answer -32021 (HTTP 400) to a client that did not declare it', async () => {
    const { taskId } = await startTask(ada, 'test_wait', { seconds: 60 });
    for (const [method, params] of [
      ['tasks/get', { taskId }],
      ['tasks/update', { taskId, inputResponses: {} }],
      ['tasks/cancel', { taskId }],
    ] as const) {
      const { status, answer } = await request(ada, method, params, { elicitation: {} });
      expect(status, method).toBe(400);
      expect(answer.error, method).toMatchObject({
        code: -32021,
        data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
      });
    }
    // The refusals changed nothing: the task still works.
    expect((await getTask(ada, taskId)).status).toBe('working');
    await result(ada, 'tasks/cancel', { taskId });
  });

  it('a tool that runs only as a task answers -32021 (not -32602) to a client without the extension', async () => {
    const { status, answer } = await request(ada, 'tools/call', { name: 'test_ask', arguments: {} }, {});
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
    });
  });

  it('an optional task tool answers directly when the client did not declare the extension', async () => {
    const direct = await result(ada, 'tools/call', { name: 'test_wait', arguments: { seconds: 0 } }, {});
    expect(direct).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'Waited 0 s.' }],
    });
    expect(direct).not.toHaveProperty('taskId');
  });

  it('the legacy `task` parameter of 2025-11-25 neither makes a task nor breaks a plain tool', async () => {
    const answer = await result(ada, 'tools/call', {
      name: 'add',
      arguments: { a: 1, b: 2 },
      task: { ttl: 1000 },
    });
    expect(answer.resultType).toBe('complete');
    expect(answer.structuredContent).toEqual({ sum: 3 });
  });
});

describe('notes_export runs as a task', () => {
  it('creates the task, visible to the very next tasks/get, and completes with the whole document', async () => {
    const writer = await app('export-tasks@example.com');
    await createNote(writer, 'First', 'one');
    await createNote(writer, 'Second', 'two\nlines');
    const created = await startTask(writer, 'notes_export');
    expect(created).toMatchObject({
      resultType: 'task',
      status: 'working',
      ttlMs: 3_600_000,
      pollIntervalMs: 1000,
    });
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const absent of [
      'result',
      'error',
      'inputRequests',
      'requestState',
      'content',
      'ttl',
      'pollInterval',
    ]) {
      expect(created, absent).not.toHaveProperty(absent);
    }

    const first = await getTask(writer, created.taskId);
    expect(first).toMatchObject({ taskId: created.taskId, resultType: 'complete' });

    const done = await pollUntil(writer, created.taskId, terminal);
    expect(done).toMatchObject({ status: 'completed', statusMessage: 'Exported 2 of 2 notes.' });
    const finished = done.result as {
      content: Array<{ text: string }>;
      structuredContent: Record<string, unknown>;
    };
    const document = finished.content[0]?.text ?? '';
    expect(document).toMatch(/^# Notes of \S+\n\n2 notes, oldest first, exported /);
    expect(document.indexOf('## First\n\none\n')).toBeGreaterThan(0);
    expect(document.indexOf('## Second\n\ntwo\nlines\n')).toBeGreaterThan(document.indexOf('## First'));
    expect(finished.structuredContent).toMatchObject({ notes: 2, characters: document.length });
    // As the call would have answered on 2026-07-28, without the 2025-11-25 related-task _meta.
    expect(finished).toMatchObject({ resultType: 'complete' });
    expect(finished).not.toHaveProperty('_meta');

    // Kept until its TTL: the alarm is set at the expiry.
    await runInDurableObject(taskRunnerOf(env, writer.userId), async (_instance, state) => {
      const row = state.storage.sql
        .exec<{ expires_at: number; created_at: number }>('SELECT expires_at, created_at FROM tasks')
        .one();
      expect(row.expires_at - row.created_at).toBe(3_600_000);
      expect(await state.storage.getAlarm()).toBe(row.expires_at);
    });
  });

  it('answers a client without tasks directly, with the same document and progress notifications', async () => {
    const writer = await app('export-direct@example.com');
    await createNote(writer, 'Only', 'text');
    const meta = { ...modernMeta(), progressToken: 'export-1' };
    const response = await mcpPost(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'notes_export', arguments: {}, _meta: meta },
      },
      {
        token: writer.token,
        headers: {
          'MCP-Protocol-Version': MODERN_VERSION,
          'Mcp-Method': 'tools/call',
          'Mcp-Name': 'notes_export',
        },
      },
    );
    const messages = (await messagesOf(response)) as Array<
      JsonRpcResponse & { method?: string; params?: unknown }
    >;
    expect(
      messages.filter((message) => message.method === 'notifications/progress').map((m) => m.params),
    ).toEqual([{ progressToken: 'export-1', progress: 1, total: 1, message: 'Exported 1 of 1 notes.' }]);
    const direct = messages.find((message) => message.id === 7)?.result;
    expect(direct?.resultType).toBe('complete');
    expect((direct?.content as Array<{ text: string }> | undefined)?.[0]?.text).toContain(
      '## Only\n\ntext\n',
    );
  });

  it('a 2025-era client gets progress on an event stream when it asks for it, and JSON when it does not', async () => {
    const writer = await app('export-2025@example.com');
    await createNote(writer, 'Only', 'text');
    const call = (id: number, meta?: Record<string, unknown>) =>
      mcpPost(
        {
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'notes_export', arguments: {}, ...(meta ? { _meta: meta } : {}) },
        },
        { token: writer.token, headers: { 'MCP-Protocol-Version': '2025-11-25' } },
      );
    const streamed = await call(8, { progressToken: 'export-2025' });
    expect(streamed.headers.get('Content-Type')).toContain('text/event-stream');
    const messages = (await messagesOf(streamed)) as Array<
      JsonRpcResponse & { method?: string; params?: unknown }
    >;
    expect(
      messages.filter((message) => message.method === 'notifications/progress').map((m) => m.params),
    ).toEqual([{ progressToken: 'export-2025', progress: 1, total: 1, message: 'Exported 1 of 1 notes.' }]);
    expect(messages.find((message) => message.id === 8)?.result?.content).toBeDefined();

    // Nothing but the answer can come back: one JSON answer, the same document.
    const plain = await call(9);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('Content-Type')).toContain('application/json');
    const answer = (await plain.json()) as JsonRpcResponse;
    expect(answer.id).toBe(9);
    expect((answer.result?.content as Array<{ text: string }> | undefined)?.[0]?.text).toContain(
      '## Only\n\ntext\n',
    );
  });

  it('needs notes:read, to start it and to read it', async () => {
    const narrow = await app('ada-tasks@example.com', ['mcp']);
    const { status } = await request(narrow, 'tools/call', { name: 'notes_export', arguments: {} });
    expect(status).toBe(403);
  });
});

describe('a task is the caller’s own', () => {
  it('another user, another app of the same user, and a made-up id all get the not-found error', async () => {
    const { taskId } = await startTask(ada, 'test_wait', { seconds: 60 });
    const adaElsewhere = await app('ada-tasks@example.com');
    for (const stranger of [bob, adaElsewhere]) {
      expectNotFound((await request(stranger, 'tasks/get', { taskId })).answer);
      expectNotFound((await request(stranger, 'tasks/update', { taskId, inputResponses: {} })).answer);
      expectNotFound((await request(stranger, 'tasks/cancel', { taskId })).answer);
    }
    expectNotFound((await request(ada, 'tasks/get', { taskId: crypto.randomUUID() })).answer);
    expectNotFound((await request(ada, 'tasks/get', { taskId: 'x'.repeat(300) })).answer);
    // Nobody else's attempt touched it.
    expect((await getTask(ada, taskId)).status).toBe('working');
    await result(ada, 'tasks/cancel', { taskId });
  });

  it('a grant of the same app without the tool’s scope cannot read the task', async () => {
    const { taskId } = await startTask(ada, 'notes_export');
    await pollUntil(ada, taskId, terminal);
    const runner = taskRunnerOf(env, ada.userId);
    expect(await runner.get(taskId, { clientId: ada.clientId, scopes: ['mcp'] })).toBeNull();
    expect(await runner.get(taskId, { clientId: ada.clientId, scopes: ['mcp', 'notes:read'] })).toMatchObject(
      {
        status: 'completed',
      },
    );
  });
});

describe('cancellation', () => {
  it('cancels a working task at once: an empty ack, then status cancelled, and its work is dropped', async () => {
    const { taskId } = await startTask(ada, 'test_wait', { seconds: 1 });
    const ack = await result(ada, 'tasks/cancel', { taskId });
    expect(Object.keys(ack).sort()).toEqual(['_meta', 'resultType']);
    expect(ack.resultType).toBe('complete');
    const cancelled = await getTask(ada, taskId);
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await getTask(ada, taskId)).status).toBe('cancelled');
  });

  it('cancelling a finished task is an idempotent ack that leaves it as it was', async () => {
    const { taskId } = await startTask(ada, 'test_wait', { seconds: 0 });
    await pollUntil(ada, taskId, terminal);
    expect((await result(ada, 'tasks/cancel', { taskId })).resultType).toBe('complete');
    expect((await getTask(ada, taskId)).status).toBe('completed');
  });
});

describe('a task that asks for input (input_required inside the task)', () => {
  it('asks both questions together, keeps the unanswered one, resumes once all are answered', async () => {
    const { taskId } = await startTask(ada, 'test_ask');
    const waiting = await pollUntil(ada, taskId, (task) => task.status !== 'working');
    expect(waiting).toMatchObject({
      status: 'input_required',
      inputRequests: {
        name: { method: 'elicitation/create', params: { mode: 'form', message: 'Your name?' } },
        color: { method: 'elicitation/create', params: { mode: 'form', message: 'Your favourite color?' } },
      },
    });
    expect(waiting).not.toHaveProperty('requestState');

    // An answer to a key that is not outstanding is ignored; a wrong shape for an outstanding key refused.
    expect(
      (await result(ada, 'tasks/update', { taskId, inputResponses: { other: { ignored: true } } }))
        .resultType,
    ).toBe('complete');
    const invalid = await request(ada, 'tasks/update', {
      taskId,
      inputResponses: { name: { action: 'maybe' } },
    });
    expect(invalid.answer.error).toMatchObject({ code: -32602 });

    const ack = await result(ada, 'tasks/update', {
      taskId,
      inputResponses: { name: { action: 'accept', content: { answer: 'Ada' } } },
    });
    expect(Object.keys(ack).sort()).toEqual(['_meta', 'resultType']);
    const partial = await getTask(ada, taskId);
    expect(partial.status).toBe('input_required');
    expect(Object.keys(partial.inputRequests as object)).toEqual(['color']);

    await result(ada, 'tasks/update', {
      taskId,
      inputResponses: { color: { action: 'accept', content: { answer: 'green' } } },
    });
    const done = await pollUntil(ada, taskId, terminal);
    expect(done).toMatchObject({
      status: 'completed',
      result: { content: [{ type: 'text', text: 'Name: Ada; color: green.' }] },
    });
  });

  it("a defineTool tool's context.elicit inside a task is the task's input_required, answered by tasks/update", async () => {
    const { taskId } = await startTask(ada, 'test_task_elicit');
    const waiting = await pollUntil(ada, taskId, (task) => task.status !== 'working');
    expect(waiting).toMatchObject({
      status: 'input_required',
      inputRequests: {
        elicit: { method: 'elicitation/create', params: { mode: 'form', message: 'Your name?' } },
      },
    });
    await result(ada, 'tasks/update', {
      taskId,
      inputResponses: { elicit: { action: 'accept', content: { name: 'Ada' } } },
    });
    const done = await pollUntil(ada, taskId, terminal);
    expect(done).toMatchObject({
      status: 'completed',
      result: { structuredContent: { greeting: 'Hello, Ada.' } },
    });
  });

  it('context.confirm inside a task asks the same yes/no form through the task; a no is a no', async () => {
    const confirmed = await startTask(ada, 'test_task_confirm');
    const waiting = await pollUntil(ada, confirmed.taskId, (task) => task.status !== 'working');
    expect(waiting).toMatchObject({
      status: 'input_required',
      inputRequests: {
        confirm: { method: 'elicitation/create', params: { mode: 'form', message: 'Go ahead?' } },
      },
    });
    await result(ada, 'tasks/update', {
      taskId: confirmed.taskId,
      inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
    });
    expect(await pollUntil(ada, confirmed.taskId, terminal)).toMatchObject({
      result: { structuredContent: { status: 'confirmed' } },
    });

    const declined = await startTask(ada, 'test_task_confirm');
    await pollUntil(ada, declined.taskId, (task) => task.status !== 'working');
    await result(ada, 'tasks/update', {
      taskId: declined.taskId,
      inputResponses: { confirm: { action: 'accept', content: { confirm: false } } },
    });
    expect(await pollUntil(ada, declined.taskId, terminal)).toMatchObject({
      result: { structuredContent: { status: 'declined' } },
    });
  });

  it('a client that cannot answer elicitations is not asked: the task completes with an error result', async () => {
    const { answer } = await request(
      ada,
      'tools/call',
      { name: 'test_ask', arguments: {} },
      { extensions: { [TASKS]: {} } },
    );
    const taskId = String(answer.result?.taskId);
    const done = await pollUntil(ada, taskId, terminal);
    expect(done).toMatchObject({ status: 'completed', result: { isError: true } });
    expect(JSON.stringify(done.result)).toContain('cannot ask');
  });

  it('a task waiting for input can be cancelled', async () => {
    const { taskId } = await startTask(ada, 'test_ask');
    await pollUntil(ada, taskId, (task) => task.status === 'input_required');
    await result(ada, 'tasks/cancel', { taskId });
    const cancelled = await getTask(ada, taskId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled).not.toHaveProperty('inputRequests');
  });
});

describe('failures', () => {
  it('a JSON-RPC error during the work fails the task, with the error inlined and no result', async () => {
    const { taskId } = await startTask(ada, 'test_fail');
    const failed = await pollUntil(ada, taskId, terminal);
    expect(failed).toMatchObject({
      status: 'failed',
      statusMessage: 'The backend refused the job.',
      error: { code: -32603, message: 'The backend refused the job.' },
    });
    expect(failed).not.toHaveProperty('result');
  });
});

describe('a run cut short', () => {
  it('when the object stopped mid-run, the run is made due again and runs from the start', async () => {
    const owner = await app('interrupted-tasks@example.com');
    const { taskId } = await startTask(owner, 'test_wait', { seconds: 600 });
    await pollUntil(owner, taskId, (task) => task.statusMessage === 'Waiting 600 s.');
    const runner = taskRunnerOf(env, owner.userId);
    // As if a run had started and its instance died: marked running, leased far ahead, and the
    // wait it journaled now over.
    await runInDurableObject(runner, (_instance, state) => {
      const now = Date.now();
      state.storage.sql.exec(
        'UPDATE tasks SET running_since = ?, run_at = ? WHERE id = ?',
        now - 1000,
        now + 600_000,
        taskId,
      );
      state.storage.sql.exec(
        "UPDATE task_journal SET value = ? WHERE task_id = ? AND kind = 'timer'",
        String(now - 1),
        taskId,
      );
    });
    expect(await runDurableObjectAlarm(runner)).toBe(true);
    const done = await pollUntil(owner, taskId, terminal);
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ text: 'Waited 600 s.' }] } });
  });
});

describe('limits', () => {
  it('a user has at most 20 tasks in progress: the next call is refused with a message, no task', async () => {
    const busy = await app('busy-tasks@example.com');
    const started = [];
    for (let index = 0; index < 20; index += 1)
      started.push(await startTask(busy, 'test_wait', { seconds: 600 }));
    const refused = await result(busy, 'tools/call', { name: 'test_wait', arguments: { seconds: 1 } });
    expect(refused).toMatchObject({
      resultType: 'complete',
      isError: true,
      content: [{ type: 'text', text: expect.stringContaining('You have 20 tasks in progress') }],
    });
    expect(refused).not.toHaveProperty('taskId');
    await result(busy, 'tasks/cancel', { taskId: started[0]?.taskId });
    expect((await startTask(busy, 'test_wait', { seconds: 0 })).status).toBe('working');
  });
});

describe('TTL', () => {
  it('a task past its TTL is deleted by the alarm, result and all, and is then not found', async () => {
    const owner = await app('ttl-tasks@example.com');
    const { taskId } = await startTask(owner, 'notes_export');
    await pollUntil(owner, taskId, terminal);
    const runner = taskRunnerOf(env, owner.userId);
    await runInDurableObject(runner, (_instance, state) => {
      state.storage.sql.exec('UPDATE tasks SET expires_at = ?', Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(runner)).toBe(true);
    await runInDurableObject(runner, async (_instance, state) => {
      for (const table of ['tasks', 'task_results', 'task_journal']) {
        expect(state.storage.sql.exec(`SELECT count(*) AS n FROM ${table}`).one().n, table).toBe(0);
      }
      expect(await state.storage.getAlarm()).toBeNull();
    });
    expectNotFound((await request(owner, 'tasks/get', { taskId })).answer);
  });

  it('a task past its TTL is not found even before the alarm runs', async () => {
    const owner = await app('ttl-early@example.com');
    const { taskId } = await startTask(owner, 'test_wait', { seconds: 60 });
    await runInDurableObject(taskRunnerOf(env, owner.userId), (_instance, state) => {
      state.storage.sql.exec('UPDATE tasks SET expires_at = ?', Date.now() - 1);
    });
    expectNotFound((await request(owner, 'tasks/get', { taskId })).answer);
  });
});
