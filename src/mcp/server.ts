import { type AuthInfo, McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { grantOfToken } from '../auth/grant-activity';
import { isProps, type Props, signedInUser } from '../auth/props';
import { allows, effectiveScopes, SCOPES } from '../auth/scopes';
import { features as registry } from '../features/index';
import type { Caller, Connection, ProgressUpdate, ToolDefinition } from '../tools/define-tool';
import { standardSchemaOf } from '../tools/support/schema';
import { accountNeed } from '../tools/support/upstream';
import { type AskedCall, Asking } from './asking';
import { type Feature, type Registration, type ServerBuild, toolsOf } from './feature';
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
 * Extra registrations for a special build: the conformance build (src/conformance/) adds the MCP
 * conformance suite's fixtures here. The product build never adds anything.
 */
export const serverExtensions: Registration[] = [];

export interface BuildOptions {
  /**
   * What to serve: the registry (src/features/index.ts) unless told otherwise (a test's own list).
   * A tool that runs as a task is found by name in the registry when its task runs; one that is
   * not there needs `registerTaskTool` (src/mcp/tasks/jobs.ts) too.
   */
  features?: readonly Feature[];
  /**
   * The request is a `tools/call` of this tool: when a feature has a tool of that name, only it is
   * registered (no other tool, resource or prompt), since nothing else can serve the call; the
   * answer is the same. An unknown name builds the whole server, so its error is the SDK's own.
   */
  calledTool?: string;
}

/**
 * Builds the MCP server for one request (or one SSE message) from who is calling, with the
 * Worker's bindings of that request. Every transport, era and route is served by this one
 * factory, so they can never drift apart.
 */
export function buildMcpServer(
  authInfo: AuthInfo | undefined,
  env: Env,
  { features = registry, calledTool }: BuildOptions = {},
): McpServer {
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
    // scopes decide what works, so they stay in the client's own cache. Resources (the notes
    // feature's notes, say) are the user's own and change with every write.
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
  const caller: Caller = {
    user,
    env,
    scopes: effectiveScopes(authInfo?.scopes ?? []),
    connection: connectionOf(authInfo, origin),
  };
  // In a 2025-era session (src/mcp/session.ts) the client declared at initialize what it answers.
  const asking = (ctx: ServerContext, call: AskedCall) =>
    new Asking(env, holder, ctx, call, server.server.getNegotiatedProtocolVersion(), {
      clientCapabilities: server.server.getClientCapabilities(),
    });
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
      const { confirm, elicit, elicitUrl, sample, roots, canAsk } = asks;
      const progress = (update: ProgressUpdate) => notifyProgress(ctx, update);
      // A session's server outlives a token: the user's props come from this request's token
      // (refreshed upstream tokens); its scopes are the session's own (src/mcp/session.ts).
      const props = ctx.http?.authInfo?.extra?.props;
      const user = isProps(props) ? props : caller.user;
      return asks.run(() =>
        callTool(tool, input, {
          ...caller,
          user,
          confirm,
          elicit,
          elicitUrl,
          sample,
          roots,
          canAsk,
          progress,
        }),
      );
    };
    return server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: describeFor(tool, caller),
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
  const build: ServerBuild = { caller, registerTool, asking };
  const only = calledTool !== undefined ? toolNamed(calledTool, features) : undefined;
  if (only) {
    registerTool(only);
    tasks.attach();
    return server;
  }
  for (const feature of features) {
    for (const tool of feature.tools) registerTool(tool);
    for (const register of feature.resources ?? []) register(server, build);
    for (const register of feature.prompts ?? []) register(server, build);
    feature.register?.(server, build);
  }
  for (const extend of serverExtensions) extend(server, build);
  tasks.attach();
  return server;
}

const toolIndexes = new WeakMap<readonly Feature[], ReadonlyMap<string, ToolDefinition>>();

/** The tool of `features` (the registry unless told otherwise) named `name`, if any. */
export function toolNamed(name: string, features: readonly Feature[] = registry): ToolDefinition | undefined {
  let index = toolIndexes.get(features);
  if (!index) {
    index = new Map(toolsOf(features).map((tool) => [tool.name, tool]));
    toolIndexes.set(features, index);
  }
  return index.get(name);
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
export function describeFor(tool: ToolDefinition, caller: Caller): string {
  if (!allows(caller.scopes, tool.scope)) {
    return `${tool.description}\n\nNot available on this connection: it needs the ${tool.scope} scope (${SCOPES[tool.scope]}), which was not granted. To use it, reconnect the app to this server and allow that permission.`;
  }
  // A tool that calls a provider's API as the user: what it needs when this grant has no account there.
  const need = tool.actsAs && accountNeed(caller, tool.actsAs);
  return need ? `${tool.description}\n\n${need}` : tool.description;
}

/** The connection behind `authInfo`'s token (the library's tokens are `<user>:<grant>:<secret>`). */
function connectionOf(authInfo: AuthInfo | undefined, origin: string): Connection | undefined {
  const grant = authInfo ? grantOfToken(authInfo.token) : null;
  if (!grant || !authInfo) return undefined;
  return { origin, grantId: grant.grantId, grantUserId: grant.userId, clientId: authInfo.clientId };
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
