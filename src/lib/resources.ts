/**
 * The protected resources one origin serves (RFC 8707 resource indicators, RFC 9728 metadata).
 * Clients name this server in different ways: the origin (older SDK clients, and any client that
 * falls back to the root metadata), or the exact URL of the MCP endpoint, as the MCP specification
 * and Claude's and ChatGPT's documentation say (`https://host/mcp`, or `https://host/sse` for a
 * client configured with the SSE URL). Each is a resource of its own: a token is bound to the one
 * the client asked for.
 */
export interface OriginResources {
  /** The whole server: a token for it is accepted on every MCP route. */
  server: string;
  /** `POST /mcp` (both protocol eras). */
  mcp: string;
  /** `/sse` and `/sse/message` (the 2024-11-05 transport, and Streamable HTTP on `POST /sse`). */
  sse: string;
}

/** The MCP endpoints and the resource each belongs to, longest first for matching. */
export const MCP_ENDPOINTS = ['/mcp', '/sse'] as const;

export function resourcesOf(origin: string): OriginResources {
  return { server: origin, mcp: `${origin}/mcp`, sse: `${origin}/sse` };
}

/** The MCP endpoint a path belongs to (`/mcp`, `/sse` or below them), or `null`. */
export function mcpEndpointOf(pathname: string): (typeof MCP_ENDPOINTS)[number] | null {
  for (const endpoint of MCP_ENDPOINTS) {
    if (pathname === endpoint || pathname.startsWith(`${endpoint}/`)) return endpoint;
  }
  return null;
}

const PRM_PREFIX = '/.well-known/oauth-protected-resource';

/**
 * Where a resource's RFC 9728 metadata lives: the well-known prefix, then the resource's path
 * (§3.1): `https://host/.well-known/oauth-protected-resource/mcp` for `https://host/mcp`.
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${PRM_PREFIX}${path}`;
}
