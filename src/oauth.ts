import {
  OAuthAuthorizationServer,
  type OAuthAuthorizationServerOptions,
  OAuthError,
  OAuthResourceServer,
  type OAuthResourceTokenValidator,
} from '@cloudflare/workers-oauth-provider';
import { readAccessToken } from './auth/access-token';
import { recordingGrantUse } from './auth/grant-activity';
import type { Props } from './auth/props';
import { checkRegistration } from './auth/registration';
import { CHALLENGE_SCOPES, SUPPORTED_SCOPES } from './auth/scopes';
import { DEFAULT_UPSTREAM_RECHECK_SECONDS, refreshUpstreamTokens } from './auth/sign-in/refresh';
import { BoundedMap } from './lib/bounded-map';
import { log } from './lib/log';
import { type OriginResources, resourcesOf } from './lib/resources';
import { STORAGE_UNAVAILABLE, StorageUnavailable } from './lib/storage-errors';
import { mcpRoutes } from './mcp/routes';

/** Paths of the authorization server's own endpoints (everything else is a page, MCP or metadata). */
export const AUTHORIZATION_SERVER_PATHS: ReadonlySet<string> = new Set([
  '/.well-known/oauth-authorization-server',
  '/oauth/token',
  '/oauth/register',
]);

/** Token lifetimes: `ACCESS_TOKEN_TTL` and `REFRESH_TOKEN_TTL` (seconds) override them. */
export const DEFAULT_ACCESS_TOKEN_TTL = 60 * 60;
export const DEFAULT_REFRESH_TOKEN_TTL = 30 * 24 * 60 * 60;

/**
 * How long a dynamically registered client lives while it is in use: the library renews it on
 * a token request once half of this has passed. A registration that never obtains a token lives a
 * day (`UNUSED_REGISTRATION_TTL`, src/auth/registration.ts).
 */
export const CLIENT_REGISTRATION_TTL = 90 * 24 * 60 * 60;

export class ConfigurationError extends Error {}

export interface TokenLifetimes {
  accessTokenTTL: number;
  refreshTokenTTL: number;
  /** How long a provider grant lives after the provider last vouched for the user, when it cannot be asked again. */
  upstreamRecheckSeconds: number;
}

/** The token lifetimes of this deployment, or a {@link ConfigurationError} naming the bad setting. */
export function tokenLifetimes(env: {
  ACCESS_TOKEN_TTL?: string;
  REFRESH_TOKEN_TTL?: string;
  UPSTREAM_RECHECK_SECONDS?: string;
}): TokenLifetimes {
  return {
    accessTokenTTL: seconds('ACCESS_TOKEN_TTL', env.ACCESS_TOKEN_TTL, DEFAULT_ACCESS_TOKEN_TTL),
    refreshTokenTTL: seconds('REFRESH_TOKEN_TTL', env.REFRESH_TOKEN_TTL, DEFAULT_REFRESH_TOKEN_TTL),
    upstreamRecheckSeconds: seconds(
      'UPSTREAM_RECHECK_SECONDS',
      env.UPSTREAM_RECHECK_SECONDS,
      DEFAULT_UPSTREAM_RECHECK_SECONDS,
    ),
  };
}

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 60) {
    throw new ConfigurationError(`${name} must be a whole number of seconds, at least 60 (got "${value}").`);
  }
  return parsed;
}

/**
 * The OAuth 2.1 authorization server of one origin and the protected resources it issues tokens
 * for (RFC 8707, RFC 9728): the origin itself, `/mcp` and `/sse`. A token is bound to the one the
 * client named; see {@link validatorFor} for where each is accepted.
 */
export interface OriginAuthorization {
  resources: OriginResources;
  authorizationServer: OAuthAuthorizationServer<Env>;
  /** The resource server of `/mcp`, of `/sse` (with `/sse/message`), and of the origin (metadata only). */
  resourceServers: {
    mcp: OAuthResourceServer<Env, Props>;
    sse: OAuthResourceServer<Env, Props>;
    server: OAuthResourceServer<Env, Props>;
  };
}

export function authorizationServerOptions(
  origin: string,
  lifetimes: TokenLifetimes,
): OAuthAuthorizationServerOptions<Env> {
  const resources = resourcesOf(origin);
  return {
    issuer: origin,
    resources: [resources.server, resources.mcp, resources.sse],
    // A client that names no resource gets a token for the whole server, as before resources
    // had paths; so do grants made before this server knew more than one resource.
    defaultResource: resources.server,
    legacyGrantResource: resources.server,
    authorizeEndpoint: '/authorize',
    tokenEndpoint: '/oauth/token',
    clientRegistrationEndpoint: '/oauth/register',
    scopesSupported: SUPPORTED_SCOPES,
    clientIdMetadataDocumentEnabled: true,
    clientRegistrationCallback: checkRegistration,
    clientRegistrationTTL: CLIENT_REGISTRATION_TTL,
    // Native apps' private-use schemes (RFC 8252 §7.1), such as Cursor's cursor://…: what
    // registration accepts (src/auth/registration.ts), authorization accepts.
    allowPrivateUseRedirectUris: true,
    accessTokenTTL: lifetimes.accessTokenTTL,
    refreshTokenTTL: lifetimes.refreshTokenTTL,
    // Asks the identity provider about the user again at every refresh, keeps its tokens in the
    // grant fresh, and revokes the grant when the provider or the allowlist no longer lets the
    // user in (src/auth/sign-in/refresh.ts).
    tokenExchangeCallback: (options) => refreshUpstreamTokens(options, lifetimes.upstreamRecheckSeconds),
    onError({ code, status, internal }) {
      log('warn', 'oauth_error', { error: code, status, reason: internal?.reason });
    },
  };
}

/**
 * Where a token is accepted: at the resource it was issued for, and a token for the whole server
 * (the origin) on every MCP route. A token for `/mcp` does not open `/sse`, nor the reverse: a
 * client that asked for one endpoint has no use for the other (each transport's URL leads to its
 * own metadata), and audience restriction (RFC 8707, MCP's token audience binding) is only worth
 * something if it is exact. The origin form stays whole because it is what older clients, and
 * clients that find only the root metadata, ask for.
 */
function validatorFor(
  authorizationServer: OAuthAuthorizationServer<Env>,
  resources: OriginResources,
): (env: Env) => OAuthResourceTokenValidator<Props> {
  return (env) => async (resource, token) => {
    try {
      // One read of the token, whichever resource it names (src/auth/access-token.ts): the
      // library's `validateToken` reads and decrypts once per resource asked, so a token for the
      // whole server paid twice on /mcp (docs/performance.md). Its audience is then checked here,
      // by the library's rule, on what the library stored: the configured resource it was issued
      // for, or none for a token from before resources (`legacyGrantResource`, the origin).
      const summary = await readAccessToken(authorizationServer, env, token);
      if (!summary) return null;
      const audiences = summary.audience === undefined ? [resources.server] : [summary.audience].flat();
      if (!audiences.some((audience) => audience === resource || audience === resources.server)) return null;
      return {
        props: summary.grant.props,
        audience: resource,
        expiresAt: summary.expiresAt,
        scope: summary.scope,
        userId: summary.userId,
        clientId: summary.grant.clientId,
      };
    } catch (error) {
      if (!(error instanceof StorageUnavailable)) throw error;
      // Our 503 (retry), never a 401 that would send the user to sign in again.
      log('error', 'storage_unavailable', { path: 'token validation', operation: error.operation });
      throw new OAuthError('temporarily_unavailable', {
        description: STORAGE_UNAVAILABLE.message,
        statusCode: 503,
        headers: { 'Retry-After': String(STORAGE_UNAVAILABLE.retryAfterSeconds) },
      });
    }
  };
}

const noMcpHere = { fetch: () => new Response(null, { status: 404 }) };

function build(origin: string, lifetimes: TokenLifetimes): OriginAuthorization {
  const resources = resourcesOf(origin);
  const authorizationServer = new OAuthAuthorizationServer<Env>(
    authorizationServerOptions(origin, lifetimes),
  );
  const validateToken = validatorFor(authorizationServer, resources);
  const handler = recordingGrantUse(mcpRoutes);
  const resourceServer = (resource: string, routes: typeof handler | typeof noMcpHere) =>
    new OAuthResourceServer<Env, Props>({
      resourceMetadata: {
        resource,
        authorization_servers: [origin],
        bearer_methods_supported: ['header'],
        resource_name: 'Remote MCP server',
      },
      // What a client asks for first, from the 401 challenge or this metadata: every scope a
      // typical user needs, so clients that never step up still reach every tool.
      requiredScopes: [...CHALLENGE_SCOPES],
      validateToken,
      handler: routes,
    });
  return {
    resources,
    authorizationServer,
    resourceServers: {
      mcp: resourceServer(resources.mcp, handler),
      sse: resourceServer(resources.sse, handler),
      server: resourceServer(resources.server, noMcpHere),
    },
  };
}

const built = new BoundedMap<string, OriginAuthorization>(16);

/**
 * The authorization server and resources of an origin, built once per isolate (construction
 * validates every option). The token lifetimes are part of the key: they come from the
 * deployment's settings, the same for every request of an isolate.
 */
export function authorizationFor(origin: string, lifetimes: TokenLifetimes): OriginAuthorization {
  const key = `${origin} ${lifetimes.accessTokenTTL} ${lifetimes.refreshTokenTTL} ${lifetimes.upstreamRecheckSeconds}`;
  return built.getOrSet(key, () => build(origin, lifetimes));
}
