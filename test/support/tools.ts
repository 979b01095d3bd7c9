import { env } from 'cloudflare:workers';
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { Props } from '../../src/auth/props';
import { effectiveScopes } from '../../src/auth/scopes';
import { tools } from '../../src/features/index';
import { callTool } from '../../src/mcp/tool-call';
import {
  type ProgressUpdate,
  type ToolContext,
  type ToolDefinition,
  ToolError,
} from '../../src/tools/define-tool';
import type { Confirmation } from '../../src/tools/support/asking';

/** A signed-in user of their own (a fresh notebook), as the demo sign-in makes them. */
export function newUser(name = 'user'): Props {
  const email = `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  return { userId: `demo:${email}`, email, name, provider: 'demo' };
}

export interface ContextOptions {
  /** The grant's scopes; all of them by default. */
  scopes?: string[];
  /** What asking the user answers; `unavailable` (a client that cannot be asked) by default. */
  confirmation?: Confirmation;
}

/** The context the MCP server gives a tool, for `user`, with the real bindings. */
export function contextFor(
  user: Props,
  options: ContextOptions = {},
): ToolContext & { asked: string[]; progressed: ProgressUpdate[] } {
  const asked: string[] = [];
  const progressed: ProgressUpdate[] = [];
  return {
    user,
    env,
    scopes: effectiveScopes(options.scopes ?? ['mcp', 'notes:read', 'notes:write']),
    asked,
    progressed,
    async confirm(request) {
      asked.push(request.message);
      return options.confirmation ?? { status: 'unavailable' };
    },
    // A client that cannot be asked anything else (src/mcp/asking.ts is tested through MCP).
    canAsk: () => false,
    elicit: () => Promise.reject(new ToolError('This test client cannot be asked.')),
    elicitUrl: () => Promise.reject(new ToolError('This test client cannot be asked.')),
    sample: () => Promise.reject(new ToolError('This test client cannot be asked.')),
    roots: () => Promise.reject(new ToolError('This test client cannot be asked.')),
    async progress(update) {
      progressed.push(update);
    },
  };
}

/** A tool of the registry whose schemas are zod (all of ours: their tests parse with them). */
export function toolNamed(name: string): ToolDefinition<z.ZodObject, z.ZodObject> {
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`No tool ${name}`);
  if (!(tool.inputSchema instanceof z.ZodObject && tool.outputSchema instanceof z.ZodObject)) {
    throw new Error(`${name} does not declare zod schemas`);
  }
  return tool as ToolDefinition<z.ZodObject, z.ZodObject>;
}

/**
 * Calls a tool through the server's error boundary, with its input parsed by its own schema (as
 * the SDK does before calling it).
 */
export async function call(
  name: string,
  input: Record<string, unknown>,
  context: ToolContext,
): Promise<CallToolResult & Partial<InputRequiredResult>> {
  const tool = toolNamed(name);
  return (await callTool(tool as ToolDefinition, tool.inputSchema.parse(input), context)) as CallToolResult &
    Partial<InputRequiredResult>;
}

/** The text of a result's first content item. */
export function textOf(result: CallToolResult): string {
  const first = result.content?.[0];
  return first?.type === 'text' ? first.text : '';
}

/** Creates a note through notes_create and returns its id. */
export async function createNote(context: ToolContext, title: string, body = ''): Promise<string> {
  const result = await call('notes_create', { title, body }, context);
  if (result.isError) throw new Error(textOf(result));
  return (result.structuredContent as { note: { id: string } }).note.id;
}
