import type { TASKS_EXTENSION_ID_V2, TaskStatusV2 } from '@modelcontextprotocol/ext-tasks/core/v2';
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type InputRequests,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';

/**
 * The wire of the MCP tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663, revision
 * 2026-07-28: https://modelcontextprotocol.github.io/ext-tasks/specification/2026-07-28/tasks.html),
 * typed with `@modelcontextprotocol/ext-tasks`. Only its types: at run time the package would bring
 * the whole of zod with it (it imports the `z` namespace, locales and all: +65 KiB gzip measured),
 * so the few checks it would do are done here, to its rules.
 */
export const TASKS_EXTENSION: typeof TASKS_EXTENSION_ID_V2 = 'io.modelcontextprotocol/tasks';

export type TaskStatus = TaskStatusV2;

/** Where a task stands, as `tasks/get` and a `CreateTaskResult` carry it (the spec's `Task`). */
export type TaskInfo = {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  lastUpdatedAt: string;
  /** From creation; the task is gone after it. */
  ttlMs: number;
  pollIntervalMs: number;
};

/**
 * The spec's `DetailedTask` (the `tasks/get` result): the task and what its status brings, the
 * outstanding `inputRequests`, the tool's `result` or the JSON-RPC `error`.
 */
export type DetailedTask =
  | (TaskInfo & { status: 'working' | 'cancelled' })
  | (TaskInfo & { status: 'input_required'; inputRequests: InputRequests })
  | (TaskInfo & { status: 'completed'; result: CallToolResult })
  | (TaskInfo & { status: 'failed'; error: TaskError });

/** A JSON-RPC error that ended a task (`failed`); a tool's own `isError` result is `completed`. */
export type TaskError = {
  code: number;
  message: string;
};

/**
 * Whether the client of this request declared the tasks extension in its per-request capabilities
 * (2026-07-28 `_meta` envelope). A 2025-era request has no envelope, so never: those clients get
 * direct answers. As `hasTaskClientCapabilityV2` of ext-tasks decides: the extension's value must
 * be exactly `{}` (no settings are defined; anything else does not enable tasks).
 */
export function clientSupportsTasks(ctx: ServerContext): boolean {
  const extensions = (declaredCapabilities(ctx) as { extensions?: unknown } | undefined)?.extensions;
  if (!isPlainObject(extensions) || !Object.hasOwn(extensions, TASKS_EXTENSION)) return false;
  const value = extensions[TASKS_EXTENSION];
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/** The client capabilities the request declared (`{}` for a 2025-era request). */
export function clientCapabilitiesOf(ctx: ServerContext): ClientCapabilities {
  return (declaredCapabilities(ctx) as ClientCapabilities | undefined) ?? {};
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function declaredCapabilities(ctx: ServerContext): unknown {
  return (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
}

/**
 * `-32021` Missing Required Client Capability, naming the extension (SEP-2575, SEP-2663
 * "Capability Negotiation"): for `tasks/*` from a client that did not declare it, and for a tool
 * that runs only as a task. The SDK answers it with HTTP 400.
 */
export function tasksNotDeclared(what: string): MissingRequiredClientCapabilityError {
  return new MissingRequiredClientCapabilityError(
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    `Missing required client capability: ${what} needs the ${TASKS_EXTENSION} extension, which this request did not declare.`,
  );
}

/**
 * The spec's answer for a task id this caller does not have: never created, another user's or
 * another app's, or gone after its TTL (all alike, so an id reveals nothing).
 */
export function taskNotFound(): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, 'Failed to retrieve task: Task not found');
}
