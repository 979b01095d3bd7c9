import {
  type CallToolResult,
  type InputResponse,
  inputRequired,
  inputResponse,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import { tasksOf } from '../mcp/tasks/extension';
import { registerTaskJob, type TaskJob } from '../mcp/tasks/jobs';

/**
 * The fixtures of the tasks scenarios of the MCP conformance suite (0.2.0-alpha: `tasks-*`, the
 * tasks extension, SEP-2663), built on the product's tasks machinery (src/mcp/tasks/): each task
 * tool is a job run by the user's TaskRunner Durable Object, as notes_export is. Only the
 * conformance build (src/conformance/index.ts) loads this module.
 */

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

/** The suite polls every 200 ms; so may clients of these fixtures. */
const POLL_MS = 200;

/** Long enough for every scenario, short enough not to pile up across runs of the suite. */
const TTL_MS = 10 * 60 * 1000;

/** A direct (no task) slow_compute waits for real in the request: bounded. */
const DIRECT_SECONDS_MAX = 30;

const yesNo = (message: string) =>
  inputRequired.elicit({
    message,
    requestedSchema: {
      type: 'object',
      properties: { confirm: { type: 'boolean', title: 'Yes', default: false } },
      required: ['confirm'],
    },
  });

/** The content of an accepted elicitation answer (`undefined` for any other answer). */
function accepted(answer: InputResponse): Record<string, unknown> | undefined {
  if (!('action' in answer) || answer.action !== 'accept') return undefined;
  return answer.content as Record<string, unknown> | undefined;
}

/** Whether an elicitation answer accepted with `confirm: true`. */
function confirmed(answer: InputResponse): boolean {
  return accepted(answer)?.confirm === true;
}

// ----- jobs: the work the TaskRunner runs -----

const slowCompute: TaskJob<{ seconds: number; label?: string }> = {
  name: 'slow_compute',
  async run({ seconds, label }, task) {
    task.progress(`Computing for ${seconds} s.`);
    await task.sleep('compute', seconds * 1000);
    return text(`Computed${label ? ` "${label}"` : ''} in ${seconds} s.`);
  },
};

const failingJob: TaskJob<Record<string, never>> = {
  name: 'failing_job',
  async run(_params, task) {
    await task.sleep('work', 1000);
    return {
      isError: true,
      content: [{ type: 'text', text: 'The job failed: its input could not be processed.' }],
    };
  },
};

const protocolErrorJob: TaskJob<Record<string, never>> = {
  name: 'protocol_error_job',
  async run() {
    throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error: the job crashed.');
  },
};

const confirmDelete: TaskJob<{ filename: string }> = {
  name: 'confirm_delete',
  async run({ filename }, task) {
    const answer = await task.ask('confirm', yesNo(`Delete ${filename}?`));
    return text(confirmed(answer) ? `Deleted ${filename}.` : `Kept ${filename}.`);
  },
};

const multiInput: TaskJob<Record<string, never>> = {
  name: 'multi_input',
  async run(_params, task) {
    const [name, go] = await Promise.all([
      task.ask(
        'name',
        inputRequired.elicit({
          message: 'What is your name?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        }),
      ),
      task.ask('confirm', yesNo('Go ahead?')),
    ]);
    const who = String(accepted(name)?.name ?? '');
    return text(`Name: ${who || '(none)'}; confirmed: ${confirmed(go)}.`);
  },
};

const toolWithTask: TaskJob<{ userName: string }> = {
  name: 'test_tool_with_task',
  async run({ userName }, task) {
    task.progress(`Greeting ${userName}.`);
    return text(`Hello, ${userName}! (from the task)`);
  },
};

for (const job of [slowCompute, failingJob, protocolErrorJob, confirmDelete, multiInput, toolWithTask]) {
  registerTaskJob(job as TaskJob<unknown>);
}

// ----- tools: how clients call them -----

const noInput = z.object({});

/** Adds the tasks fixtures to `server` (the product's tasks extension is attached to it already). */
export function registerTaskFixtures(server: McpServer): void {
  const tasks = tasksOf(server);
  server.registerTool(
    'greet',
    { description: 'Says hello (never a task).', inputSchema: z.object({ name: z.string() }) },
    ({ name }) => text(`Hello, ${name}!`),
  );
  server.registerTool(
    'slow_compute',
    {
      description: 'Takes `seconds` to compute; a task for clients that support them.',
      inputSchema: z.object({ seconds: z.number().min(0).max(3600), label: z.string().optional() }),
    },
    tasks.callback(
      'slow_compute',
      { support: 'optional', ttlMs: TTL_MS, pollIntervalMs: POLL_MS },
      async ({ seconds, label }) => {
        const wait = Math.min(seconds, DIRECT_SECONDS_MAX) * 1000;
        await new Promise((resolve) => setTimeout(resolve, wait));
        return text(`Computed${label ? ` "${label}"` : ''} in ${seconds} s.`);
      },
    ),
  );
  const onlyAsTask = async (): Promise<CallToolResult> => text('This tool runs only as a task.');
  const required = { support: 'required', ttlMs: TTL_MS, pollIntervalMs: POLL_MS } as const;
  server.registerTool(
    'failing_job',
    { description: 'A task whose tool reports an error after about a second.', inputSchema: noInput },
    tasks.callback('failing_job', required, onlyAsTask),
  );
  server.registerTool(
    'protocol_error_job',
    { description: 'A task that fails with a JSON-RPC error.', inputSchema: noInput },
    tasks.callback('protocol_error_job', required, onlyAsTask),
  );
  server.registerTool(
    'confirm_delete',
    {
      description: 'A task that asks the user to confirm deleting a file.',
      inputSchema: z.object({ filename: z.string() }),
    },
    tasks.callback('confirm_delete', required, onlyAsTask),
  );
  server.registerTool(
    'multi_input',
    { description: 'A task that asks two questions at once.', inputSchema: noInput },
    tasks.callback('multi_input', required, onlyAsTask),
  );
  server.registerTool(
    'test_tool_with_task',
    {
      description: 'Asks for a name in the request (input_required), then greets it from a task.',
      inputSchema: noInput,
    },
    tasks.callback(
      'test_tool_with_task',
      {
        ...required,
        // SEP-2663: input needed before the task exists is gathered in the request, first.
        async prepare(_input, ctx) {
          const answer = inputResponse(ctx.mcpReq.inputResponses, 'user_name');
          const name =
            answer.kind === 'elicit' && answer.action === 'accept' ? answer.content?.name : undefined;
          if (typeof name === 'string' && name !== '') return { params: { userName: name } };
          return inputRequired({
            inputRequests: {
              user_name: inputRequired.elicit({
                message: 'What is your name?',
                requestedSchema: {
                  type: 'object',
                  properties: { name: { type: 'string' } },
                  required: ['name'],
                },
              }),
            },
          });
        },
      },
      onlyAsTask,
    ),
  );
}
