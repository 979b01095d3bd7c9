import { env } from 'cloudflare:workers';
import {
  type AuthInfo,
  type CallToolResult,
  type InputRequiredResult,
  McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { isProps, type Props, signedInUser } from '../auth/props';
import { allows, effectiveScopes, SCOPES, type Scope } from '../auth/scopes';
import { log } from '../lib/log';
import { registerNotePrompts } from '../prompts/summarize-notes';
import { type Caller, registerNoteResources } from '../resources/notes';
import { type ProgressUpdate, type ToolContext, type ToolDefinition, ToolError } from '../tools/define-tool';
import { tools } from '../tools/index';
import { AskUser } from '../tools/support/confirmation';
import { confirm, type StateHolder, verifyRequestState } from './confirmation';
import { scopeChallenge } from './scope-challenge';
import { TasksExtension } from './tasks/extension';

export const SERVER_INFO = {
  name: 'remote-mcp-server',
  title: 'Remote MCP server',
  version: '0.1.0',
} as const;

const INSTRUCTIONS =
  'Tools of a remote MCP server on Cloudflare Workers. Every call acts as the user who signed in through OAuth.';

/**
 * Extra registrations for a special build: the conformance build (src/conformance/) adds the MCP
 * conformance suite's fixtures here. The product build never adds anything.
 */
export const serverExtensions: Array<(server: McpServer) => void> = [];

/** The first protocol revision with multi-round-trip requests (`input_required`). */
const FIRST_MODERN_VERSION = '2026-07-28';

/**
 * Builds the MCP server for one request (or one SSE message) from who is calling. Every
 * transport, era and route is served by this one factory, so they can never drift apart.
 */
export function buildMcpServer(authInfo: AuthInfo | undefined): McpServer {
  const user = userFrom(authInfo);
  const holder: StateHolder = { userId: user.userId, clientId: authInfo?.clientId ?? '' };
  const server = new McpServer(SERVER_INFO, {
    instructions: INSTRUCTIONS,
    capabilities: {
      tools: { listChanged: false },
      resources: { listChanged: false },
      prompts: { listChanged: false },
    },
    // 2026-07-28 cache hints. The tool, template and prompt lists are the same for everyone, but
    // scopes decide what works, so they stay in the client's own cache. The note list (and each
    // note, see src/resources/notes.ts) is the user's own and changes with every write.
    cacheHints: {
      'tools/list': { ttlMs: 300_000, cacheScope: 'private' },
      'prompts/list': { ttlMs: 300_000, cacheScope: 'private' },
      'resources/templates/list': { ttlMs: 300_000, cacheScope: 'private' },
      'resources/list': { ttlMs: 0, cacheScope: 'private' },
      'resources/read': { ttlMs: 0, cacheScope: 'private' },
      'server/discover': { ttlMs: 300_000, cacheScope: 'private' },
    },
    // Every echoed requestState is checked before any handler runs: signature, expiry, user and
    // app, single use (src/mcp/confirmation.ts).
    requestState: { verify: (state, ctx) => verifyRequestState(env, holder, state, ctx) },
  });
  const caller: Caller = { user, env, scopes: effectiveScopes(authInfo?.scopes ?? []) };
  const isModern = () => (server.server.getNegotiatedProtocolVersion() ?? '') >= FIRST_MODERN_VERSION;
  // Tools that declare `task` run as MCP tasks for clients that support them (src/mcp/tasks/).
  const tasks = new TasksExtension(server, {
    env,
    user: signedInUser(user),
    clientId: holder.clientId,
    scopes: [...caller.scopes],
  });
  for (const tool of tools) {
    const direct = (input: unknown, ctx: ServerContext) =>
      callTool(tool, input, {
        ...caller,
        confirm: (request) => confirm(env, holder, ctx, isModern(), request),
        progress: (update) => notifyProgress(ctx, update),
      });
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: describeFor(tool, caller.scopes),
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, ...tool.annotations },
        scopeChallenge: scopeChallenge(tool.scope, `The tool ${tool.name}`),
      },
      tool.task ? tasks.callback(tool.name, { support: tool.task, scope: tool.scope }, direct) : direct,
    );
  }
  registerNoteResources(server, caller);
  registerNotePrompts(server, caller);
  for (const extend of serverExtensions) extend(server);
  tasks.attach();
  return server;
}

/** A tool's progress as `notifications/progress`, when the request asked for it (a `progressToken`). */
async function notifyProgress(ctx: ServerContext, update: ProgressUpdate): Promise<void> {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return;
  await ctx.mcpReq.notify({
    method: 'notifications/progress',
    params: { progressToken, progress: update.done, total: update.total, message: update.message },
  });
}

/**
 * A tool's description for this grant. Every tool stays listed (a client that can step up asks for
 * the scope when it calls); for a tool the grant cannot use, the description says so and what to do,
 * so that the model of a client that never steps up tells the user instead of failing silently.
 */
export function describeFor(tool: ToolDefinition, scopes: ReadonlySet<Scope>): string {
  if (allows(scopes, tool.scope)) return tool.description;
  return `${tool.description}\n\nNot available on this connection: it needs the ${tool.scope} scope (${SCOPES[tool.scope]}), which was not granted. To use it, reconnect the app to this server and allow that permission.`;
}

/**
 * The error boundary: a tool's {@link ToolError} becomes an `isError` result with its message;
 * anything else becomes a generic message, so no stack trace or upstream text reaches the model.
 * The tool's scope is checked again here (the step-up challenge answers first on every route).
 */
export async function callTool(
  tool: ToolDefinition,
  input: unknown,
  context: ToolContext,
): Promise<CallToolResult | InputRequiredResult> {
  try {
    if (!allows(context.scopes, tool.scope)) {
      throw new ToolError(
        `This app may not use ${tool.name}: it needs the ${tool.scope} scope (${SCOPES[tool.scope]}). Connect the app again and allow it.`,
      );
    }
    const output = await tool.handler(input as never, context);
    if (output instanceof AskUser) return output.result;
    return {
      content: [{ type: 'text', text: output.text }],
      structuredContent: output.structured as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof ToolError) {
      return { isError: true, content: [{ type: 'text', text: error.message }] };
    }
    log('error', 'tool_failed', { tool: tool.name, error: String(error) });
    return { isError: true, content: [{ type: 'text', text: `The tool ${tool.name} failed unexpectedly.` }] };
  }
}

function userFrom(authInfo: AuthInfo | undefined): Props {
  const props = authInfo?.extra?.props;
  if (!isProps(props)) throw new Error('MCP request without a signed-in user');
  return props;
}
