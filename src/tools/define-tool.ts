import type * as z from 'zod';
import type { Props } from '../auth/props';
import type { Scope } from '../auth/scopes';
import { cachedJsonSchema } from '../lib/cached-json-schema';
import type { AskUser, Confirmation, ConfirmationRequest } from './support/confirmation';

/**
 * What a tool handler gets besides its input: who is calling, what their grant allows, the
 * Worker's bindings, a way to ask the user to confirm an action, and a way to report progress.
 */
export interface ToolContext {
  user: Props;
  env: Env;
  /** The scopes of the caller's grant, with the scopes they imply (`src/auth/scopes.ts`). */
  scopes: ReadonlySet<Scope>;
  /** Asks the user to confirm (see {@link Confirmation}); a read-only tool never needs it. */
  confirm: (request: ConfirmationRequest) => Promise<Confirmation>;
  /**
   * Reports how far the work has come: a `notifications/progress` when the client asked for
   * progress, the task's `statusMessage` when the call runs as a task (see {@link TaskSupport}).
   */
  progress: (update: ProgressUpdate) => Promise<void>;
}

/** How far a tool's work has come: `done` of `total` (when known), in words for a person. */
export interface ProgressUpdate {
  done: number;
  total?: number;
  message: string;
}

/**
 * Whether a tool's calls may run as MCP tasks (the tasks extension, SEP-2663, src/mcp/tasks/): the
 * client gets a task id at once and polls `tasks/get` while the user's task Durable Object does the
 * work. `optional`: a task for clients that declare the extension, a direct answer for the others;
 * `required`: a task only (a client without the extension gets error -32021).
 */
export type TaskSupport = 'optional' | 'required';

/**
 * The MCP tool annotations (MCP 2025-06-18+ `ToolAnnotations`). Every tool states all four, so
 * a client can tell a harmless read from a destructive write without guessing defaults.
 */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** One tool: everything a client sees about it, the scope it needs, and what it does. */
export interface ToolDefinition<
  Input extends z.ZodObject = z.ZodObject,
  Output extends z.ZodObject = z.ZodObject,
> {
  /** snake_case, unique; what the model calls. */
  name: string;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: ToolAnnotations;
  /**
   * The scope a token needs to call this tool, besides the baseline `mcp` (or `mcp` alone). A
   * call without it is answered 403 `insufficient_scope` before the tool runs (step-up).
   */
  scope: Scope;
  /** Long work: run the call as an MCP task (see {@link TaskSupport}). Unset: always a direct answer. */
  task?: TaskSupport;
  /**
   * Does the work. Returns the structured result (checked against `outputSchema`) and its text
   * form for clients that do not read structured content, or the {@link AskUser} of a pending
   * confirmation. Throw a {@link ToolError} for a failure the model should see; anything else
   * becomes a generic error.
   */
  handler: (input: z.infer<Input>, context: ToolContext) => Promise<ToolOutput<z.infer<Output>> | AskUser>;
}

export interface ToolOutput<T> {
  structured: T;
  text: string;
}

/** Declares a tool with its types inferred from its schemas. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  cachedJsonSchema(definition.inputSchema);
  cachedJsonSchema(definition.outputSchema);
  return definition;
}

/** A failure the caller should read: its message, which we wrote, is returned as an `isError` result. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}
