import type * as z from 'zod';
import type { Props } from '../auth/props';
import { isScope, type Scope } from '../auth/scopes';
import type { ProviderId } from '../auth/sign-in/providers';
import type { IconFile } from '../mcp/icons';
import type {
  AskKind,
  Confirmation,
  ConfirmationRequest,
  ElicitAnswer,
  ElicitForm,
  Root,
  Sampled,
  SampleOptions,
  SamplingMessage,
  UrlAnswer,
  UrlRequest,
} from './support/asking';
import { type Accepted, standardSchemaOf, type ToolSchema } from './support/schema';

/**
 * Who is calling, as everything a feature registers sees it (tools, resources, prompts): the
 * signed-in user, the Worker's bindings of this request, and the scopes of the grant. The last of
 * the shapes a caller takes on its way (docs/architecture.md, "Who is calling").
 */
export interface Caller {
  user: Props;
  env: Env;
  /** The scopes of the caller's grant, with the scopes they imply (`src/auth/scopes.ts`). */
  scopes: ReadonlySet<Scope>;
  /**
   * The connection the call came through: the grant behind the access token (the library's
   * user id for it, a hash, and its id), the app, and the origin the request came to. Absent where
   * no token is at hand (a task's run, a unit test): then a tool cannot end the grant or link an
   * account to it (src/tools/support/upstream.ts).
   */
  connection?: Connection;
}

/** See {@link Caller.connection}. */
export interface Connection {
  origin: string;
  grantId: string;
  grantUserId: string;
  clientId: string;
}

/**
 * What a tool handler gets besides its input: who is calling ({@link Caller}), and ways to ask the
 * user, the client's model or the client (docs/tools.md, "Asking the user, the model or the client").
 *
 * An ask whose answer has not come yet ends the handler's round (MCP 2026-07-28 multi-round-trip
 * requests): the client answers and calls the tool again, and the handler runs again from the
 * start, this time getting the answer. So do nothing that cannot be repeated before the last ask.
 * Several asks awaited together (`Promise.all`) are put to the client in one round.
 */
export interface ToolContext extends Caller {
  /** Asks the user to confirm (see {@link Confirmation}); a read-only tool never needs it. */
  confirm: (request: ConfirmationRequest) => Promise<Confirmation>;
  /** Asks the user to fill in a form (elicitation); the answer is validated with the form's schema. */
  elicit: <S extends z.ZodObject>(form: ElicitForm<S>) => Promise<ElicitAnswer<z.output<S>>>;
  /** Asks the client's model for a completion (sampling); a string is one user message. */
  sample: (messages: string | SamplingMessage[], options: SampleOptions) => Promise<Sampled>;
  /** Asks the client for its roots (the directories or files it lets servers work on). */
  roots: (options?: { key?: string }) => Promise<Root[]>;
  /**
   * Asks the user to open a page of this server (URL-mode elicitation), e.g. to sign in somewhere
   * and come back: `accept` means they agreed to open it, not that they finished there.
   */
  elicitUrl: (request: UrlRequest) => Promise<UrlAnswer>;
  /**
   * Whether this client can be asked `kind`: asking a client that cannot answer refuses the call
   * (`-32021`), so a tool that can do without asks only when this is true.
   */
  canAsk: (kind: AskKind) => boolean;
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

/**
 * One tool: everything a client sees about it, the scope it needs, and what it does. Its schemas
 * are zod objects or JSON Schema objects (`jsonSchema()` in ./support/schema.ts); `tools/list`
 * shows a JSON Schema as written, and calls are validated against it.
 */
export interface ToolDefinition<
  Input extends ToolSchema = ToolSchema,
  Output extends ToolSchema = ToolSchema,
> {
  /** snake_case, unique; what the model calls. */
  name: string;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: ToolAnnotations;
  /** Icons a client may show beside the tool: files of public/icons/ or https URLs (src/mcp/icons.ts). */
  icons?: readonly IconFile[];
  /**
   * Extension metadata shown in `tools/list`, as is: for MCP Apps, `ui` names the view that shows
   * the tool's result and who may call it (src/features/notes/app/view-meta.ts). A client that
   * knows no extension ignores it; the text result stays complete.
   */
  _meta?: Readonly<Record<string, unknown>>;
  /**
   * The scope a token needs to call this tool, besides the baseline `mcp` (or `mcp` alone). A
   * call without it is answered 403 `insufficient_scope` before the tool runs (step-up).
   */
  scope: Scope;
  /** Long work: run the call as an MCP task (see {@link TaskSupport}). Unset: always a direct answer. */
  task?: TaskSupport;
  /**
   * The sign-in provider whose API the tool calls as the user (src/tools/support/upstream.ts):
   * its description then says when the caller's grant has no account there, and what happens.
   */
  actsAs?: ProviderId;
  /**
   * Does the work. Returns the structured result (checked against `outputSchema`) and its text
   * form for clients that do not read structured content. Throw a {@link ToolError} for a failure
   * the model should see; anything else becomes a generic error.
   */
  handler: (input: Accepted<Input>, context: ToolContext) => Promise<ToolOutput<Accepted<Output>>>;
}

export interface ToolOutput<T> {
  structured: T;
  text: string;
}

/**
 * Declares a tool with its types inferred from its schemas. The schemas are checked and converted
 * here, once per isolate (a bad one throws when the module loads).
 */
export function defineTool<Input extends ToolSchema, Output extends ToolSchema>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  const problems = toolDefinitionProblems(definition as unknown as ToolDefinition);
  if (problems.length > 0) {
    throw new ToolDefinitionError(
      `The tool ${String(definition.name)} cannot be defined: ${problems.join('; ')}.`,
    );
  }
  standardSchemaOf(definition.inputSchema, 'input');
  standardSchemaOf(definition.outputSchema, 'output');
  return definition;
}

/** A tool that breaks the rules below: thrown when its module loads, so a build or start fails. */
export class ToolDefinitionError extends Error {
  override readonly name = 'ToolDefinitionError';
}

const ANNOTATIONS = ['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint'];

/**
 * Why a tool definition is not fit to serve, or `[]`: a snake_case name, a title and a description,
 * exactly the four annotations as booleans (never read-only and destructive at once), a scope this
 * server knows, and both schemas (zod or a JSON Schema object; src/tools/support/schema.ts checks
 * the rest). The types say most of it; this holds for JavaScript, casts and `any` too.
 */
export function toolDefinitionProblems(tool: ToolDefinition): string[] {
  const problems: string[] = [];
  if (typeof tool.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(tool.name))
    problems.push('name is not snake_case');
  if (typeof tool.title !== 'string' || !tool.title.trim()) problems.push('no title');
  if (typeof tool.description !== 'string' || !tool.description.trim()) problems.push('no description');
  const annotations = (tool.annotations ?? {}) as unknown as Record<string, unknown>;
  if (Object.keys(annotations).sort().join() !== ANNOTATIONS.join()) {
    problems.push('not exactly the four annotations');
  }
  for (const [name, value] of Object.entries(annotations)) {
    if (typeof value !== 'boolean') problems.push(`${name} is not a boolean`);
  }
  if (annotations.readOnlyHint === true && annotations.destructiveHint === true) {
    problems.push('read-only and destructive at once');
  }
  if (typeof tool.scope !== 'string' || !isScope(tool.scope)) problems.push('no known scope');
  if (!isSchemaObject(tool.inputSchema)) problems.push('no input schema (zod or JSON Schema)');
  if (!isSchemaObject(tool.outputSchema)) problems.push('no output schema (zod or JSON Schema)');
  return problems;
}

/** A zod schema or a JSON Schema object: an object, not an array or a primitive. */
function isSchemaObject(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema);
}

/** A failure the caller should read: its message, which we wrote, is returned as an `isError` result. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}
