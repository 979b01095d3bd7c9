// Long-running tools as MCP tasks (the tasks extension, SEP-2663), end to end against `wrangler
// dev` (the conformance build, for its slow_compute and confirm_delete task tools), driven by the
// official requester, @modelcontextprotocol/ext-tasks, over the SDK client as a 2026-07-28
// client: notes_export is created and polled until its document is ready; a slow task is
// cancelled; a task asks for input and the client's handler answers; and a task outlives a
// restart of wrangler dev (same state directory and port), resumed from its serialized reference.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, type ClientOptions, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  createTaskSessionFromClient,
  type JsonRpcResponse,
  type SerializedTaskReference,
  type TaskEnabledSession,
  type TaskExecutionEvent,
  type WithTasksOptions,
} from '@modelcontextprotocol/ext-tasks/client';
import type { JsonValue } from '@modelcontextprotocol/ext-tasks/core';
import { type RunningServer, startServer } from './support/server.ts';
import { obtainAccessToken } from './support/token.ts';

const VERSION = '2026-07-28';
const CAPABILITIES = { elicitation: { form: {} } };
const MODERN: ClientOptions = { versionNegotiation: { mode: { pin: VERSION } }, capabilities: CAPABILITIES };
const CLIENT_INFO = { name: 'e2e-tasks', version: '1.0.0' };

const stateDir = mkdtempSync(join(tmpdir(), 'mcp-tasks-'));
let server: RunningServer;
let token: string;

before(async () => {
  server = await startServer({ config: 'wrangler.conformance.jsonc', stateDir });
  token = (
    await obtainAccessToken(server.url, {
      email: 'tasks-e2e@example.com',
      scope: 'mcp notes:read notes:write',
    })
  ).accessToken;
});

after(async () => {
  await server?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** One JSON-RPC request over Streamable HTTP, as a 2026-07-28 client sends it (standard headers). */
async function post(
  message: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const params = (message.params ?? {}) as Record<string, unknown>;
  const headers: Record<string, string> = {
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': VERSION,
    'Mcp-Method': String(message.method),
  };
  const name = message.method === 'tools/call' ? params.name : params.taskId;
  if (typeof name === 'string') headers['Mcp-Name'] = name;
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify(message),
    signal,
  });
  const text = await response.text();
  const bodies = (response.headers.get('Content-Type') ?? '').includes('text/event-stream')
    ? text
        .split(/\n\n/)
        .map((event) =>
          event
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5))
            .join(''),
        )
        .filter((data) => data.trim() !== '')
    : [text];
  const answers = bodies.map((body) => JSON.parse(body) as Record<string, unknown>);
  const answer = answers.find((candidate) => candidate.id === message.id);
  assert.ok(answer, `no answer to ${String(message.method)} (HTTP ${response.status}): ${text}`);
  return answer;
}

let nextId = 1;

/**
 * ext-tasks' raw path for task traffic (the SDK client's own codec does not know `resultType:
 * "task"`): the framed request, sent as is.
 */
async function rawDispatch(request: JsonValue, options?: { signal?: AbortSignal }): Promise<JsonRpcResponse> {
  const message = { jsonrpc: '2.0', id: nextId++, ...(request as Record<string, unknown>) };
  const answer = await post(message, options?.signal);
  if (answer.error) return { kind: 'error', error: answer.error as { code: number; message: string } };
  return { kind: 'result', result: answer.result as JsonValue };
}

/** A 2026-07-28 SDK client with the official tasks requester over it. */
async function connect(
  options: WithTasksOptions = {},
): Promise<{ client: Client; session: TaskEnabledSession }> {
  const client = new Client(CLIENT_INFO, MODERN);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  assert.deepEqual(client.getServerCapabilities()?.extensions?.['io.modelcontextprotocol/tasks'], {});
  const session = createTaskSessionFromClient(client, {
    ...options,
    endpointId: 'e2e-tasks',
    rawDispatch,
    v2RequestFraming: { protocolVersion: VERSION, clientInfo: CLIENT_INFO, clientCapabilities: CAPABILITIES },
  });
  return { client, session };
}

/** What `tasks/get` says of a task now, asked directly. */
async function taskStatus(taskId: string): Promise<Record<string, unknown>> {
  const answer = await post({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tasks/get',
    params: {
      taskId,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': VERSION,
        'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
        'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } },
      },
    },
  });
  assert.ok(answer.result, JSON.stringify(answer.error));
  return answer.result as Record<string, unknown>;
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((block) => block.text ?? '').join('');
}

describe('long-running tools as tasks, through the official tasks client', { timeout: 300_000 }, () => {
  let client: Client;
  let session: TaskEnabledSession;
  /** What the client's input handler was asked, and answers "yes" to. */
  const asked: unknown[] = [];

  before(async () => {
    ({ client, session } = await connect({
      onInputRequest: async (request) => {
        asked.push(request);
        return { action: 'accept', content: { confirm: true } } as never;
      },
    }));
    for (const title of ['Alpha', 'Beta', 'Gamma']) {
      const created = await client.callTool({
        name: 'notes_create',
        arguments: { title, body: `about ${title}` },
      });
      assert.notEqual(created.isError, true, JSON.stringify(created));
    }
  });

  after(async () => {
    await session?.close();
    await client?.close();
  });

  test('notes_export: a task at once, polled until the whole document is ready', async () => {
    const execution = await session.callTool('notes_export', {});
    assert.equal(execution.kind, 'task');
    const statuses: string[] = [];
    const { outcome } = await execution.settle({
      onEvent: (event: TaskExecutionEvent<unknown>) => {
        if (event.type === 'task') statuses.push(event.task.status);
      },
    });
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    const document = textOf(outcome.status === 'completed' ? outcome.result : undefined);
    assert.match(document, /^# Notes of .+\n\n3 notes, oldest first, exported /);
    for (const title of ['Alpha', 'Beta', 'Gamma'])
      assert.match(document, new RegExp(`## ${title}\\n\\nabout ${title}\\n`));
    assert.equal(statuses.at(-1), 'completed');
    const task = await taskStatus(execution.handle?.taskId ?? '');
    assert.equal(task.status, 'completed');
    assert.equal(task.statusMessage, 'Exported 3 of 3 notes.');
  });

  test('a running task is cancelled: the client gets a cancelled outcome, tasks/get says cancelled', async () => {
    const execution = await session.callTool('slow_compute', { seconds: 60, label: 'to cancel' });
    assert.equal(execution.kind, 'task');
    const taskId = execution.handle?.taskId ?? '';
    assert.equal((await taskStatus(taskId)).status, 'working');
    await execution.cancel();
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'cancelled');
    assert.equal((await taskStatus(taskId)).status, 'cancelled');
  });

  test('a task that asks: input_required, answered by the client’s handler through tasks/update', async () => {
    const execution = await session.callTool('confirm_delete', { filename: 'old.txt' });
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    assert.equal(textOf(outcome.status === 'completed' ? outcome.result : undefined), 'Deleted old.txt.');
    assert.deepEqual(asked, [
      {
        kind: 'elicitation',
        params: {
          mode: 'form',
          message: 'Delete old.txt?',
          requestedSchema: {
            type: 'object',
            properties: { confirm: { type: 'boolean', title: 'Yes', default: false } },
            required: ['confirm'],
          },
        },
      },
    ]);
  });
});

test('a task outlives a restart of wrangler dev and is resumed from its reference', {
  timeout: 300_000,
}, async () => {
  const SECONDS = 8;
  let { client, session } = await connect();
  const started = Date.now();
  const execution = await session.callTool('slow_compute', { seconds: SECONDS, label: 'across a restart' });
  assert.equal(execution.kind, 'task');
  assert.ok(execution.kind === 'task');
  let reference: SerializedTaskReference | undefined;
  await execution.handoff((serialized) => {
    reference = serialized;
  });
  assert.ok(reference, 'the client persisted the task reference');
  const before = await taskStatus(reference.taskId);
  assert.equal(before.status, 'working');
  await session.close();
  await client.close();

  const { port } = server;
  await server.stop();
  server = await startServer({ config: 'wrangler.conformance.jsonc', stateDir, port });
  assert.ok(Date.now() - started < SECONDS * 1000, 'restarted while the task was still working');

  ({ client, session } = await connect());
  try {
    const after = await taskStatus(reference.taskId);
    assert.equal(after.createdAt, before.createdAt, 'the same task, from storage');
    const resumed = await session.resumeTask(reference);
    const { outcome } = await resumed.settle();
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    assert.equal(
      textOf(outcome.status === 'completed' ? outcome.result : undefined),
      `Computed "across a restart" in ${SECONDS} s.`,
    );
    assert.ok(Date.now() - started >= SECONDS * 1000, 'it ran its full time, not less');
  } finally {
    await session.close();
    await client.close();
  }
});
