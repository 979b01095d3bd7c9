import { type CallToolResult, inputRequired, ProtocolError } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { serverExtensions } from '../../src/mcp/server';
import { tasksOf } from '../../src/mcp/tasks/extension';
import { registerTaskJob, registerTaskTool, type TaskJob } from '../../src/mcp/tasks/jobs';
import { defineTool } from '../../src/tools/define-tool';

/**
 * Tools that run as tasks, for the tests of the tasks machinery (test/tasks.test.ts): the product
 * has one task tool (notes_export), which never waits and never asks. Importing this module adds
 * them to the test Worker's server, as the conformance build adds its fixtures.
 */

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

const waitInput = z.object({ seconds: z.number().min(0).max(3600) });

/** Sleeps durably for `seconds`, then says so; a direct answer (no tasks) sleeps for real. */
const testWait: TaskJob<{ seconds: number }> = {
  name: 'test_wait',
  async run({ seconds }, task) {
    task.progress(`Waiting ${seconds} s.`);
    await task.sleep('wait', seconds * 1000);
    return text(`Waited ${seconds} s.`);
  },
};

/** Asks two questions at once (form elicitations), then answers with both replies. */
const testAsk: TaskJob<Record<string, never>> = {
  name: 'test_ask',
  async run(_params, task) {
    const question = (message: string) =>
      inputRequired.elicit({
        message,
        requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
      });
    const [name, color] = await Promise.all([
      task.ask('name', question('Your name?')),
      task.ask('color', question('Your favourite color?')),
    ]);
    const reply = (answer: unknown) => {
      const elicited = answer as { action: string; content?: { answer?: unknown } };
      return elicited.action === 'accept' ? String(elicited.content?.answer) : `(${elicited.action})`;
    };
    return text(`Name: ${reply(name)}; color: ${reply(color)}.`);
  },
};

/** Fails with a JSON-RPC error (a protocol error: the task is `failed`). */
const testFail: TaskJob<Record<string, never>> = {
  name: 'test_fail',
  async run() {
    throw new ProtocolError(-32603, 'The backend refused the job.');
  },
};

/** A `defineTool` tool run as a task that asks the user through the task (context.elicit). */
const testTaskElicit = defineTool({
  name: 'test_task_elicit',
  title: 'Ask inside a task',
  description: 'Asks the user for a name inside a task, then greets them.',
  inputSchema: z.object({}),
  outputSchema: z.object({ greeting: z.string() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'mcp',
  task: 'required',
  async handler(_input, { elicit }) {
    const answer = await elicit({ message: 'Your name?', schema: z.object({ name: z.string().min(1) }) });
    const greeting =
      answer.action === 'accept' ? `Hello, ${answer.content.name}.` : `No name (${answer.action}).`;
    return { structured: { greeting }, text: greeting };
  },
});

/** A `defineTool` tool run as a task that confirms through the task (context.confirm). */
const testTaskConfirm = defineTool({
  name: 'test_task_confirm',
  title: 'Confirm inside a task',
  description: 'Asks the user to confirm inside a task, then says what they answered.',
  inputSchema: z.object({}),
  outputSchema: z.object({ status: z.string() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'mcp',
  task: 'required',
  async handler(_input, { confirm }) {
    const { status } = await confirm({ message: 'Go ahead?' });
    return { structured: { status }, text: status };
  },
});

registerTaskTool(testTaskElicit);
registerTaskTool(testTaskConfirm);
registerTaskJob(testWait);
registerTaskJob(testAsk);
registerTaskJob(testFail);

serverExtensions.push((server, build) => {
  build.registerTool(testTaskElicit);
  build.registerTool(testTaskConfirm);
  const tasks = tasksOf(server);
  server.registerTool(
    'test_wait',
    { description: 'Waits (a task when it can be).', inputSchema: waitInput },
    tasks.callback('test_wait', { support: 'optional', pollIntervalMs: 100 }, async ({ seconds }) => {
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      return text(`Waited ${seconds} s.`);
    }),
  );
  server.registerTool(
    'test_ask',
    { description: 'Asks two questions inside a task.', inputSchema: z.object({}) },
    tasks.callback('test_ask', { support: 'required', ttlMs: 5 * 60_000 }, async () => text('unreachable')),
  );
  server.registerTool(
    'test_fail',
    { description: 'A task that fails with a protocol error.', inputSchema: z.object({}) },
    tasks.callback('test_fail', { support: 'required' }, async () => text('unreachable')),
  );
});
