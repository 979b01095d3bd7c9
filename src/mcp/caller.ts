import type { OAuthResourceContext } from '@cloudflare/workers-oauth-provider';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Props } from '../auth/props';
import { BoundedMap } from '../lib/bounded-map';
import { resourceMetadataUrl } from '../lib/resources';

/**
 * Who is calling, as verified by the OAuth provider: plain data, so it can cross into the SSE
 * session's Durable Object over RPC.
 */
export interface McpCaller {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  /** The canonical resource the token was issued for (RFC 8707). */
  audience: string;
  props: Props;
}

/** The caller of a request that passed the provider's token check. */
export function callerFrom(ctx: OAuthResourceContext<Props>): McpCaller {
  return {
    token: ctx.auth.token,
    clientId: ctx.auth.clientId ?? '',
    scopes: ctx.auth.scope,
    expiresAt: ctx.auth.expiresAt,
    audience: ctx.auth.audience,
    props: ctx.props,
  };
}

/** The SDK's view of the caller; `resourceMetadataUrl` lets scope challenges name our metadata. */
export function authInfoFor(caller: McpCaller): AuthInfo {
  const { resource, resourceMetadataUrl } = resourceOf(caller.audience);
  return {
    token: caller.token,
    clientId: caller.clientId,
    scopes: caller.scopes,
    expiresAt: caller.expiresAt,
    // Shared by every request of the isolate: the SDK only reads it.
    resource,
    resourceMetadataUrl,
    extra: { props: caller.props },
  };
}

/** Audiences are this server's resources: a handful per isolate, parsed once each. */
const resources = new BoundedMap<string, { resource: URL; resourceMetadataUrl: string }>(16);

function resourceOf(audience: string): { resource: URL; resourceMetadataUrl: string } {
  return resources.getOrSet(audience, () => ({
    resource: new URL(audience),
    resourceMetadataUrl: resourceMetadataUrl(audience),
  }));
}
