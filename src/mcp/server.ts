import { env } from 'cloudflare:workers';
import { type AuthInfo, type CallToolResult, McpServer, requireScopes } from '@modelcontextprotocol/server';
import { isProps, type Props } from '../auth/props';
import { BASE_SCOPE } from '../auth/scopes';
import { type ToolContext, type ToolDefinition, ToolError } from '../tools/define-tool';
import { tools } from '../tools/index';

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

/**
 * Builds the MCP server for one request (or one SSE message) from who is calling. Every
 * transport, era and route is served by this one factory, so they can never drift apart.
 */
export function buildMcpServer(authInfo: AuthInfo | undefined): McpServer {
  const user = userFrom(authInfo);
  const server = new McpServer(SERVER_INFO, {
    instructions: INSTRUCTIONS,
    capabilities: { tools: { listChanged: false } },
    // 2026-07-28 cache hints: the list is the same for everyone, but scopes decide what
    // works, so keep it in the client's own cache.
    cacheHints: {
      'tools/list': { ttlMs: 300_000, cacheScope: 'private' },
      'server/discover': { ttlMs: 300_000, cacheScope: 'private' },
    },
  });
  const context: ToolContext = { user, env };
  for (const tool of tools) registerTool(server, tool, context);
  for (const extend of serverExtensions) extend(server);
  return server;
}

function registerTool(server: McpServer, tool: ToolDefinition, context: ToolContext): void {
  const scopeChallenge =
    tool.scope === BASE_SCOPE ? requireScopes(BASE_SCOPE) : requireScopes(BASE_SCOPE, tool.scope);
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
      annotations: { title: tool.title, ...tool.annotations },
      scopeChallenge,
    },
    (input: unknown) => callTool(tool, input, context),
  );
}

/**
 * The error boundary: a tool's {@link ToolError} becomes an `isError` result with its message;
 * anything else becomes a generic message, so no stack trace or upstream text reaches the model.
 */
async function callTool(tool: ToolDefinition, input: unknown, context: ToolContext): Promise<CallToolResult> {
  try {
    const output = await tool.handler(input as never, context);
    return {
      content: [{ type: 'text', text: output.text }],
      structuredContent: output.structured as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof ToolError) {
      return { isError: true, content: [{ type: 'text', text: error.message }] };
    }
    console.error(JSON.stringify({ event: 'tool_failed', tool: tool.name, error: String(error) }));
    return { isError: true, content: [{ type: 'text', text: `The tool ${tool.name} failed unexpectedly.` }] };
  }
}

function userFrom(authInfo: AuthInfo | undefined): Props {
  const props = authInfo?.extra?.props;
  if (!isProps(props)) throw new Error('MCP request without a signed-in user');
  return props;
}
