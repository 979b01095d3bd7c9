import {
  type CallToolResult,
  type InputRequiredResult,
  isInputRequiredResult,
  type JSONRPCRequest,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type RequestId,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { SignedInUser } from '../../auth/props';
import type { Scope } from '../../auth/scopes';
import { durableObjectCall, STORAGE_UNAVAILABLE, StorageUnavailable } from '../../lib/storage-errors';
import type { TaskSupport } from '../../tools/define-tool';
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_TASK_TTL_MS } from './limits';
import {
  clientCapabilitiesOf,
  clientSupportsTasks,
  type DetailedTask,
  TASKS_EXTENSION,
  type TaskInfo,
  taskNotFound,
  tasksNotDeclared,
} from './protocol';
import type { CreateOutcome, TaskAccess, TaskRunner, UpdateOutcome } from './task-runner';

/** Who calls, for the tasks of one request: the user's runner, and what the task will keep. */
export interface TasksCaller {
  env: Env;
  user: SignedInUser;
  clientId: string;
  /** The grant's effective scopes. */
  scopes: Scope[];
}

/** How a tool runs as a task (its job is found by the tool's name: src/mcp/tasks/jobs.ts). */
export interface TaskToolOptions<Input> {
  support: TaskSupport;
  /** The tool's scope: a caller without it cannot see the task. `mcp` unless set. */
  scope?: Scope;
  ttlMs?: number;
  pollIntervalMs?: number;
  /**
   * Runs in the request, before the task is created: it may ask first (an `input_required`
   * answer, the multi-round-trip flow the spec asks to finish before a task exists) and gives the
   * job its parameters. Without it the job gets the tool's validated arguments.
   */
  prepare?: (input: Input, ctx: ServerContext) => Promise<InputRequiredResult | { params: unknown }>;
}

type RequestHandler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

/** What a task tool's callback returns in place of the `CreateTaskResult` the wrapper answers with. */
const TASK_CREATED: CallToolResult = {
  isError: true,
  content: [{ type: 'text', text: 'A task was created; the answer is its CreateTaskResult.' }],
};

/** The empty acknowledgement of `tasks/update` and `tasks/cancel` (the SDK adds `resultType`). */
const ACK: Record<string, unknown> = {};

const anyParams = z.looseObject({});
/** `{taskId}`: the params of tasks/get and tasks/cancel, and of tasks/update once the SDK lifted its answers. */
const getParams = z.object({ taskId: z.string() });

/** Longest task id looked up (ours are UUIDs); a longer one is simply not found. */
const MAX_TASK_ID_LENGTH = 200;

const extensions = new WeakMap<McpServer, TasksExtension>();

/** The tasks extension of `server` (built by src/mcp/server.ts for every request). */
export function tasksOf(server: McpServer): TasksExtension {
  const extension = extensions.get(server);
  if (!extension) throw new Error('This server has no tasks extension.');
  return extension;
}

/** The runner of one user's tasks (a Durable Object per user). */
export function taskRunnerOf(env: Env, userId: string): DurableObjectStub<TaskRunner> {
  return env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(userId));
}

/**
 * The MCP tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`) on the server of one request:
 * declares it in `capabilities.extensions`, answers `tasks/get`, `tasks/update` and `tasks/cancel`
 * from the user's {@link TaskRunner}, and turns a call of a task tool into a task when the client
 * declared the extension on that request (`CreateTaskResult`, `resultType: "task"`). The work then
 * runs in the Durable Object; nothing of it stays in this request.
 *
 * Clients that did not declare the extension (every 2025-era client: it is declared per request)
 * get the tool's direct answer, or -32021 from a tool that runs only as a task, and -32021 from
 * `tasks/*`.
 */
export class TasksExtension {
  readonly #server: McpServer;
  readonly #caller: TasksCaller;
  readonly #support = new Map<string, TaskSupport>();
  /** Tasks created by callbacks, by request id, for the `tools/call` wrapper to answer with. */
  readonly #created = new Map<RequestId, TaskInfo>();

  constructor(server: McpServer, caller: TasksCaller) {
    this.#server = server;
    this.#caller = caller;
    extensions.set(server, this);
  }

  /**
   * The `tools/call` callback of a tool that may run as a task: for a client that declared the
   * extension, creates the task (after `prepare`, if any) and answers with it; for any other
   * client, `direct` answers (only reached for `optional` tools: the wrapper refuses the others).
   */
  callback<Input>(
    name: string,
    options: TaskToolOptions<Input>,
    direct: (input: Input, ctx: ServerContext) => Promise<CallToolResult | InputRequiredResult>,
  ): (input: Input, ctx: ServerContext) => Promise<CallToolResult | InputRequiredResult> {
    this.#support.set(name, options.support);
    return async (input, ctx) => {
      if (!clientSupportsTasks(ctx)) return direct(input, ctx);
      let params: unknown = input;
      if (options.prepare) {
        const prepared = await options.prepare(input, ctx);
        if (isInputRequiredResult(prepared)) return prepared;
        params = prepared.params;
      }
      return this.#start(name, params, options, ctx);
    };
  }

  /**
   * Declares the extension and serves its methods. Runs after the tools are registered: it wraps
   * the SDK's `tools/call` handler, which exists from the first registered tool on.
   */
  attach(): void {
    const server = this.#server.server;
    server.registerCapabilities({ extensions: { [TASKS_EXTENSION]: {} } });
    server.setRequestHandler('tasks/get', { params: anyParams }, async (params, ctx) => {
      const { taskId } = parse('tasks/get', getParams, params, ctx);
      const task = await this.#runnerCall<DetailedTask | null>('TaskRunner.get', (runner) =>
        runner.get(taskId, this.#access),
      );
      if (!task) throw taskNotFound();
      return task;
    });
    server.setRequestHandler('tasks/update', { params: anyParams }, async (params, ctx) => {
      const { taskId } = parse('tasks/update', getParams, params, ctx);
      // The SDK lifts `inputResponses` out of every request's params (as for a multi-round-trip
      // retry): the bare answers are here, the keys of malformed ones (`{method, result}`) aside.
      const answers = ctx.mcpReq.inputResponses;
      const malformed = ctx.mcpReq.droppedInputResponseKeys ?? [];
      if (answers === undefined && malformed.length === 0) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          'Invalid params for tasks/update: no inputResponses.',
        );
      }
      const outcome = await this.#runnerCall<UpdateOutcome>('TaskRunner.update', (runner) =>
        runner.update(taskId, this.#access, answers ?? {}, malformed),
      );
      if (outcome === 'not-found') throw taskNotFound();
      if (outcome !== 'accepted') throw new ProtocolError(ProtocolErrorCode.InvalidParams, outcome.invalid);
      return ACK;
    });
    server.setRequestHandler('tasks/cancel', { params: anyParams }, async (params, ctx) => {
      const { taskId } = parse('tasks/cancel', getParams, params, ctx);
      const found = await this.#runnerCall<boolean>('TaskRunner.cancel', (runner) =>
        runner.cancel(taskId, this.#access),
      );
      if (!found) throw taskNotFound();
      return ACK;
    });
    this.#wrapToolsCall();
  }

  get #access(): TaskAccess {
    return { clientId: this.#caller.clientId, scopes: this.#caller.scopes };
  }

  async #start(
    name: string,
    params: unknown,
    options: TaskToolOptions<never>,
    ctx: ServerContext,
  ): Promise<CallToolResult> {
    const { env, user, clientId, scopes } = this.#caller;
    const runner = taskRunnerOf(env, user.userId);
    let outcome: CreateOutcome;
    try {
      outcome = await durableObjectCall<CreateOutcome>('TaskRunner.create', () =>
        runner.create({
          job: name,
          scope: options.scope ?? 'mcp',
          params,
          caller: { user, clientId, scopes, capabilities: clientCapabilitiesOf(ctx) },
          ttlMs: options.ttlMs ?? DEFAULT_TASK_TTL_MS,
          pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
        }),
      );
    } catch (error) {
      if (!(error instanceof StorageUnavailable)) throw error;
      return { isError: true, content: [{ type: 'text', text: STORAGE_UNAVAILABLE.message }] };
    }
    if (!outcome.ok) return { isError: true, content: [{ type: 'text', text: outcome.problem }] };
    this.#created.set(ctx.mcpReq.id, outcome.task);
    return TASK_CREATED;
  }

  async #runnerCall<T>(
    operation: string,
    call: (runner: DurableObjectStub<TaskRunner>) => Promise<T>,
  ): Promise<T> {
    const runner = taskRunnerOf(this.#caller.env, this.#caller.user.userId);
    try {
      return await durableObjectCall<T>(operation, () => call(runner));
    } catch (error) {
      if (error instanceof StorageUnavailable) {
        throw new ProtocolError(ProtocolErrorCode.InternalError, STORAGE_UNAVAILABLE.message);
      }
      throw error;
    }
  }

  /**
   * Wraps the SDK's `tools/call` handler (McpServer's, which validates arguments, verifies request
   * state, runs the callback and checks the result): a tool that runs only as a task is refused
   * with -32021 before any of that when the client did not declare the extension (the callback's
   * errors would become `isError` results), and a call whose callback created a task is answered
   * with the `CreateTaskResult`, which the SDK's result checks would not let through. The SDK has
   * no hook for either, so this replaces the handler in its table (`@modelcontextprotocol/server`
   * 2.4; test/tasks.test.ts fails if that table moves).
   */
  #wrapToolsCall(): void {
    const handlers = (this.#server.server as unknown as { _requestHandlers?: Map<string, RequestHandler> })
      ._requestHandlers;
    const inner = handlers?.get('tools/call');
    if (!handlers || !inner)
      throw new Error('tasks: the SDK does not keep a tools/call handler where expected');
    handlers.set('tools/call', async (request, ctx) => {
      const name = (request.params as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string' && this.#support.get(name) === 'required' && !clientSupportsTasks(ctx)) {
        throw tasksNotDeclared(`The tool ${name}`);
      }
      const result = await inner(request, ctx);
      const task = this.#created.get(ctx.mcpReq.id);
      if (task === undefined) return result;
      this.#created.delete(ctx.mcpReq.id);
      return { resultType: 'task', ...task };
    });
  }
}

/**
 * The params of a `tasks/*` request: first the extension must be declared (-32021, before any
 * other check, as SEP-2663 orders), then the params must have the method's shape (-32602).
 */
function parse<T>(method: string, schema: z.ZodType<T>, params: unknown, ctx: ServerContext): T {
  if (!clientSupportsTasks(ctx)) throw tasksNotDeclared(method);
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Invalid params for ${method}: ${z.prettifyError(parsed.error)}`,
    );
  }
  const taskId = (parsed.data as { taskId?: unknown }).taskId;
  if (typeof taskId === 'string' && (taskId.length === 0 || taskId.length > MAX_TASK_ID_LENGTH))
    throw taskNotFound();
  return parsed.data;
}
