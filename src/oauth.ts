import { OAuthProvider, type OAuthProviderOptions } from '@cloudflare/workers-oauth-provider';
import { pages } from './auth/app';
import { recordingGrantUse } from './auth/grant-activity';
import { checkRegistration } from './auth/registration';
import { BASE_SCOPE, SUPPORTED_SCOPES } from './auth/scopes';
import { refreshUpstreamTokens } from './auth/sign-in/refresh';
import { log } from './lib/log';
import { mcpRoutes } from './mcp/routes';

/** Paths that carry MCP and need a token for this server. */
export const MCP_PATHS = ['/mcp', '/sse'];

/**
 * The OAuth 2.1 authorization server and protected resource for one origin. The resource is the
 * origin itself, so one token covers `/mcp`, `/sse` and `/sse/message` (RFC 9728 §3, RFC 8707),
 * and a token issued for another origin (say localhost vs 127.0.0.1) is refused.
 */
export function oauthOptions(origin: string): OAuthProviderOptions<Env> {
  return {
    apiRoute: MCP_PATHS,
    apiHandler: recordingGrantUse(mcpRoutes) as unknown as OAuthProviderOptions<Env>['apiHandler'],
    defaultHandler: pages as unknown as OAuthProviderOptions<Env>['defaultHandler'],
    authorizeEndpoint: '/authorize',
    tokenEndpoint: '/oauth/token',
    clientRegistrationEndpoint: '/oauth/register',
    scopesSupported: SUPPORTED_SCOPES,
    requiredScopes: [BASE_SCOPE],
    resourceMetadata: {
      resource: origin,
      authorization_servers: [origin],
      bearer_methods_supported: ['header'],
      resource_name: 'Remote MCP server',
    },
    clientIdMetadataDocumentEnabled: true,
    clientRegistrationCallback: checkRegistration,
    accessTokenTTL: 60 * 60,
    refreshTokenTTL: 30 * 24 * 60 * 60,
    // Keeps an identity provider's tokens in the grant fresh, and revokes the grant when the
    // provider has revoked access (src/auth/sign-in/refresh.ts).
    tokenExchangeCallback: refreshUpstreamTokens,
    onError({ code, status, internal }) {
      log('warn', 'oauth_error', { error: code, status, reason: internal?.reason });
    },
  };
}

const providers = new Map<string, OAuthProvider<Env>>();

/** The provider for an origin, built once per isolate (construction validates every option). */
export function providerFor(origin: string): OAuthProvider<Env> {
  let provider = providers.get(origin);
  if (!provider) {
    provider = new OAuthProvider<Env>(oauthOptions(origin));
    if (providers.size >= 16) providers.clear();
    providers.set(origin, provider);
  }
  return provider;
}
