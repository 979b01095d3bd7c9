import {
  type CallToolResult,
  type ClientCapabilities,
  type InputRequest,
  type InputResponse,
  inputRequired,
  inputResponse,
  isInputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  specTypeSchemas,
} from '@modelcontextprotocol/server';
import type { SignedInUser } from '../../auth/props';
import type { Scope } from '../../auth/scopes';
import { tools } from '../../features/index';
import type { ToolContext, ToolDefinition } from '../../tools/define-tool';
import { ToolError } from '../../tools/define-tool';
import type { AskKind, Confirmation, ConfirmationRequest } from '../../tools/support/asking';
import { standardSchemaOf } from '../../tools/support/schema';
import { CONFIRMATION_FORM, sampled, wireForm } from '../asking';
import { callTool } from '../tool-call';

/** Who started a task, as the request that created it said: kept with the task until it expires. */
export interface TaskCaller {
  /** The signed-in user (never the identity provider's tokens). */
  user: SignedInUser;
  /** The app (OAuth client) that created the task: only it can read, answer or cancel it. */
  clientId: string;
  /** The grant's scopes, with the scopes they imply. */
  scopes: Scope[];
  /** The client's declared capabilities: what a task may ask it (elicitation, sampling, roots). */
  capabilities: ClientCapabilities;
}

/**
 * What a task's work gets from the user's task Durable Object (src/mcp/tasks/task-runner.ts).
 *
 * The work may be run more than once: when it waits (for an answer or for time) the run stops and
 * is started again from the beginning once it can go on, and a run cut short by a restart is run
 * again. `ask` and `sleep` return at once what they returned before, by key, so work written as
 * "compute, ask, then act" resumes where it waited; anything before them runs again and must not
 * mind (read, or write idempotently). This is the re-entry of multi-round-trip requests (SEP-2322)
 * and of Cloudflare Workflows' steps.
 */
export interface TaskContext {
  readonly taskId: string;
  readonly env: Env;
  readonly caller: TaskCaller;
  /** Aborted when the task is cancelled or expires: pass it on to `fetch` and the like. */
  readonly signal: AbortSignal;
  /** Sets the task's `statusMessage`, what `tasks/get` shows while it works. */
  progress(message: string): void;
  /**
   * Asks the client (`elicitation/create`, `sampling/createMessage`, `roots/list`): the task waits
   * in `input_required`, with the request in `inputRequests` under `key`, until `tasks/update`
   * brings the answer, which this then returns. `key` must name one question for the task's whole
   * life. Several asks started together are asked together. A client that did not declare the
   * capability is not asked: this throws {@link TaskInputUnavailable}.
   */
  ask(key: string, request: InputRequest): Promise<InputResponse>;
  /** Waits `ms` durably: the task sleeps in storage (no run in progress), through restarts. */
  sleep(key: string, ms: number): Promise<void>;
}

/** The long work behind a tool that runs as a task, found by the tool's name. */
export interface TaskJob<Params = never> {
  /** The tool's name. */
  name: string;
  /**
   * Does the work and returns the tool's result. A {@link ProtocolError} (a JSON-RPC error) makes
   * the task `failed`; anything else thrown makes it `completed` with an `isError` result, as a
   * direct call would.
   */
  run(params: Params, task: TaskContext): Promise<CallToolResult>;
}

/** A task wanted input from a client that cannot give it (the capability was not declared). */
export class TaskInputUnavailable extends Error {
  override readonly name = 'TaskInputUnavailable';
}

// biome-ignore lint/suspicious/noExplicitAny: jobs of every parameter type share one registry.
type AnyTaskJob = TaskJob<any>;

const registered = new Map<string, AnyTaskJob>();
const ofTools = new Map<string, AnyTaskJob>();

/**
 * Makes `job` runnable by the task Durable Object. Call it when the module loads (the object runs
 * jobs of tasks created by earlier requests, or before a restart). Tools of the registry
 * (`src/features/index.ts`) that declare `task` need nothing: they are found by name.
 */
export function registerTaskJob<Params>(job: TaskJob<Params>): void {
  registered.set(job.name, job as AnyTaskJob);
}

/**
 * Makes a `defineTool` tool that declares `task` but is not in the registry (a fixture, a tool of
 * a special build) runnable as a task, as the registry's are.
 */
export function registerTaskTool(tool: ToolDefinition): void {
  registered.set(tool.name, toolJob(tool));
}

/** The job of the tool `name`, or `undefined` when no tool by that name runs as a task. */
export function taskJobNamed(name: string): AnyTaskJob | undefined {
  const found = registered.get(name) ?? ofTools.get(name);
  if (found) return found;
  const tool = tools.find((candidate) => candidate.name === name && candidate.task !== undefined);
  if (!tool) return undefined;
  const job = toolJob(tool);
  ofTools.set(name, job);
  return job;
}

/**
 * A `defineTool` tool as a task: its handler runs in the Durable Object behind the same error
 * boundary as a direct call, with the context rebuilt from the task's caller. `progress` sets the
 * status message; `confirm` asks through the task (`input_required`, answered by `tasks/update`).
 */
function toolJob(tool: ToolDefinition): AnyTaskJob {
  return {
    name: tool.name,
    async run(input: unknown, task: TaskContext): Promise<CallToolResult> {
      const result = await callTool(tool, input, {
        user: task.caller.user,
        env: task.env,
        scopes: new Set(task.caller.scopes),
        ...askingInTask(task),
        progress: async (update) => task.progress(update.message),
      });
      if (isInputRequiredResult(result)) {
        throw new ProtocolError(
          ProtocolErrorCode.InternalError,
          `${tool.name} asked for input outside its task.`,
        );
      }
      // As the SDK checks a direct answer against the tool's output schema.
      const checked = result.isError
        ? undefined
        : await standardSchemaOf(tool.outputSchema, 'output')['~standard'].validate(result.structuredContent);
      if (checked?.issues !== undefined) {
        return {
          isError: true,
          content: [
            {
              type: 'text',
              text: `Output validation error: Invalid structured content for tool ${tool.name}`,
            },
          ],
        };
      }
      return result;
    },
  };
}

/**
 * A tool's asks inside a task: each is an `input_required` of the task, answered by `tasks/update`
 * and kept by key, so the re-run of the work gets it back (see {@link TaskContext}). Only what the
 * client declared it can answer is asked; anything else is a tool error that says so.
 */
function askingInTask(
  task: TaskContext,
): Pick<ToolContext, 'canAsk' | 'confirm' | 'elicit' | 'elicitUrl' | 'sample' | 'roots'> {
  const capabilities = task.caller.capabilities;
  const canAsk = (kind: AskKind) => {
    if (kind === 'elicitation') return canElicitForm(capabilities);
    if (kind === 'url') return canElicitUrl(capabilities);
    return typeof capabilities[kind] === 'object';
  };
  const refuse = (kind: AskKind): never => {
    throw new ToolError(`This client did not declare ${kind}, so this task cannot ask for it.`);
  };
  const counts = new Map<string, number>();
  const nextKey = (kind: string) => {
    const count = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, count);
    return count === 1 ? kind : `${kind}-${count}`;
  };
  const elicit: ToolContext['elicit'] = async (form) => {
    if (!canAsk('elicitation')) return refuse('elicitation');
    const key = form.key ?? nextKey('elicit');
    const answer = await task.ask(
      key,
      inputRequired.elicit({ message: form.message, requestedSchema: wireForm(form.schema) }),
    );
    const view = inputResponse({ [key]: answer }, key);
    if (view.kind !== 'elicit') throw new ToolError('The answer to the form was not a form answer.');
    if (view.action !== 'accept') return { action: view.action };
    const parsed = form.schema.safeParse(view.content ?? {});
    if (!parsed.success) throw new ToolError('The answer did not fit the form.');
    return { action: 'accept', content: parsed.data };
  };
  return {
    canAsk,
    elicit,
    async elicitUrl(request) {
      if (!canAsk('url')) return refuse('url');
      const answer = await task.ask(
        request.key ?? 'url',
        inputRequired.elicitUrl({ message: request.message, url: request.url }),
      );
      const view = inputResponse({ url: answer }, 'url');
      if (view.kind !== 'elicit')
        throw new ToolError('The answer to the page was not an elicitation answer.');
      return { action: view.action };
    },
    async sample(messages, options) {
      if (!canAsk('sampling')) return refuse('sampling');
      const { key: named, ...params } = options;
      const conversation =
        typeof messages === 'string'
          ? [{ role: 'user' as const, content: { type: 'text' as const, text: messages } }]
          : messages;
      const answer = await task.ask(
        named ?? nextKey('sample'),
        inputRequired.createMessage({ ...params, messages: conversation }),
      );
      const checked = specTypeSchemas.CreateMessageResult['~standard'].validate(answer);
      if (checked instanceof Promise || checked.issues !== undefined) {
        throw new ToolError("The client's completion was not a sampling result.");
      }
      return sampled(checked.value);
    },
    async roots(options = {}) {
      if (!canAsk('roots')) return refuse('roots');
      const answer = await task.ask(options.key ?? nextKey('roots'), inputRequired.listRoots());
      const checked = specTypeSchemas.ListRootsResult['~standard'].validate(answer);
      if (checked instanceof Promise || checked.issues !== undefined) {
        throw new ToolError("The client's roots were not a roots result.");
      }
      return checked.value.roots;
    },
    confirm: (request) => confirmInTask(elicit, canAsk, request),
  };
}

/** `confirm` inside a task: the same yes/no form as a direct call's, asked through the task. */
async function confirmInTask(
  elicit: ToolContext['elicit'],
  canAsk: ToolContext['canAsk'],
  request: ConfirmationRequest,
): Promise<Confirmation> {
  if (!canAsk('elicitation')) return { status: 'unavailable' };
  // The answer is the task's own: kept with the task, it authorizes this task's action only.
  const answer = await elicit({ key: 'confirm', message: request.message, schema: CONFIRMATION_FORM });
  return answer.action === 'accept' && answer.content.confirm
    ? { status: 'confirmed' }
    : { status: 'declined' };
}

/**
 * Whether `capabilities` include form elicitation (MCP 2025-11-25+: `elicitation: {}` means form;
 * `{ url: {} }` alone means URL mode only).
 */
/** Whether `capabilities` include URL-mode elicitation (`elicitation: { url: {} }`). */
function canElicitUrl(capabilities: ClientCapabilities): boolean {
  const elicitation = capabilities.elicitation as Record<string, unknown> | undefined;
  const url = elicitation?.url;
  return typeof url === 'object' && url !== null;
}

export function canElicitForm(capabilities: ClientCapabilities): boolean {
  const elicitation = capabilities.elicitation as Record<string, unknown> | undefined;
  if (typeof elicitation !== 'object' || elicitation === null) return false;
  return 'form' in elicitation || !('url' in elicitation);
}
