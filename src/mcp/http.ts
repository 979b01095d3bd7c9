import { createMcpHandler } from '@modelcontextprotocol/server';
import { log } from '../lib/log';
import { buildMcpServer } from './server';

/** Largest MCP request body we read, in bytes (413 above it). */
export const MAX_MCP_BODY_BYTES = 1_048_576;

/**
 * The Streamable HTTP handler behind `POST /mcp`, `POST /sse` and every SSE message: MCP
 * 2026-07-28 (stateless, per-request envelope) and, for 2025-era clients, the SDK's stateless
 * fallback that answers `initialize` without server-side sessions.
 */
export const mcpHttp = createMcpHandler(({ authInfo }) => buildMcpServer(authInfo), {
  legacy: 'stateless',
  maxRequestBodySize: MAX_MCP_BODY_BYTES,
  onerror: (error) => log('warn', 'mcp_error', { message: error.message }),
});
