import { env } from 'cloudflare:workers';
import { type AuthInfo, McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { isProps, type Props, signedInUser } from '../auth/props';
import { allows, effectiveScopes, SCOPES, type Scope } from '../auth/scopes';
import { registerNotesApp } from '../features/notes-app/index';
import { registerNotePrompts } from '../prompts/summarize-notes';
import { type Caller, registerNoteResources } from '../resources/notes';
import type { ProgressUpdate, ToolDefinition } from '../tools/define-tool';
import { tools } from '../tools/index';
import { standardSchemaOf } from '../tools/support/schema';
import { type AskedCall, Asking } from './asking';
import { iconsAt, SERVER_ICONS } from './icons';
import { type StateHolder, verifyRequestState } from './request-state';
import { scopeChallenge } from './scope-challenge';
import { TasksExtension } from './tasks/extension';
import { callTool } from './tool-call';

export const SERVER_INFO = {
  name: 'remote-mcp-server',
  title: 'Remote MCP server',
  version: '0.1.0',
} as const;

const INSTRUCTIONS =
  'Tools of a remote MCP server on Cloudflare Workers. Every call acts as the user who signed in through OAuth.';

/**
 * What an extension gets besides the server, to build fixtures on the product's own machinery:
 * tools registered exactly as the product's are, and the asking of a prompt or resource handler.
 */
export interface ServerBuild {
  registerTool: (tool: ToolDefinition) => void;
  asking: (ctx: ServerContext, call: AskedCall) => Asking;
}

/**
 * Extra registrations for a special build: the conformance build (src/conformance/) adds the MCP
 * conformance suite's fixtures here. The product build never adds anything.
 */
export const serverExtensions: Array<(server: McpServer, build: ServerBuild) => void> = [];

/**
 * Builds the MCP server for one request (or one SSE message) from who is calling. Every
 * transport, era and route is served by this one factory, so they can never drift apart.
 */
export function buildMcpServer(authInfo: AuthInfo | undefined): McpServer {
  const user = userFrom(authInfo);
  const origin = originOf(authInfo);
  const holder: StateHolder = { userId: user.userId, clientId: authInfo?.clientId ?? '' };
  const serverInfo = { ...SERVER_INFO, icons: iconsAt(origin, SERVER_ICONS) };
  const server = new McpServer(serverInfo, {
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
    // app, single use (src/mcp/request-state.ts).
    requestState: { verify: (state, ctx) => verifyRequestState(env, holder, state, ctx) },
  });
  const caller: Caller = { user, env, scopes: effectiveScopes(authInfo?.scopes ?? []) };
  const asking = (ctx: ServerContext, call: AskedCall) =>
    new Asking(env, holder, ctx, call, server.server.getNegotiatedProtocolVersion());
  // Tools that declare `task` run as MCP tasks for clients that support them (src/mcp/tasks/).
  const tasks = new TasksExtension(server, {
    env,
    user: signedInUser(user),
    clientId: holder.clientId,
    scopes: [...caller.scopes],
  });
  const registerTool = (tool: ToolDefinition) => {
    const direct = (input: unknown, ctx: ServerContext) => {
      const asks = asking(ctx, { method: 'tools/call', name: tool.name, arguments: input });
      const { confirm, elicit, sample, roots, canAsk } = asks;
      const progress = (update: ProgressUpdate) => notifyProgress(ctx, update);
      return asks.run(() =>
        callTool(tool, input, { ...caller, confirm, elicit, sample, roots, canAsk, progress }),
      );
    };
    return server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: describeFor(tool, caller.scopes),
        inputSchema: standardSchemaOf(tool.inputSchema, 'input'),
        outputSchema: standardSchemaOf(tool.outputSchema, 'output'),
        annotations: { title: tool.title, ...tool.annotations },
        icons: tool.icons && iconsAt(origin, tool.icons),
        _meta: tool._meta,
        scopeChallenge: scopeChallenge(tool.scope, `The tool ${tool.name}`),
      },
      tool.task ? tasks.callback(tool.name, { support: tool.task, scope: tool.scope }, direct) : direct,
    );
  };
  for (const tool of tools) registerTool(tool);
  registerNoteResources(server, caller);
  registerNotePrompts(server, caller);
  registerNotesApp(server, { registerTool, caller });
  for (const extend of serverExtensions) extend(server, { registerTool, asking });
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
 * The origin this request came to, for absolute URLs (icons): that of the resource the token was
 * issued for, which the OAuth provider matched with the request's own origin (a token is accepted
 * only on the origin that issued it). It holds for an SSE message too, which reaches the server
 * through its session's Durable Object.
 */
function originOf(authInfo: AuthInfo | undefined): string {
  if (!authInfo?.resource) throw new Error('MCP request without the resource of its token');
  return authInfo.resource.origin;
}

function userFrom(authInfo: AuthInfo | undefined): Props {
  const props = authInfo?.extra?.props;
  if (!isProps(props)) throw new Error('MCP request without a signed-in user');
  return props;
}
