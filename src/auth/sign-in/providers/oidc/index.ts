import * as oauth from 'oauth4webapi';
import { BoundedMap } from '../../../../lib/bounded-map';
import {
  AccountRefused,
  bearerApi,
  ConfigurationProblem,
  expiresSoon,
  hasExpired,
  isSet,
  listSetting,
  providerUrl,
  type ReadyUpstream,
  SignInFailure,
  TransientUpstreamError,
  UPSTREAM_TIMEOUT_MS,
  type UpstreamApi,
  type UpstreamIdentity,
  type UpstreamMethod,
  type UpstreamRecheck,
  type UpstreamTokens,
} from '../../upstream';

/** The variables OpenID Connect sign-in reads (docs/configuration.md). */
export interface OidcVars {
  /** The issuer URL, discovered at sign-in (`<issuer>/.well-known/openid-configuration`). */
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  /** Space-separated scopes to ask for; `openid email profile` by default. */
  OIDC_SCOPES?: string;
  /** The provider's name on the sign-in page ("Okta", "Google"…). */
  OIDC_DISPLAY_NAME?: string;
  /** Google Workspace: the domain (`hd` claim) every account must belong to; sent as `hd=` too. */
  OIDC_HOSTED_DOMAIN?: string;
}

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];

interface OidcSettings {
  issuer: URL;
  client: oauth.Client;
  clientSecret: string;
  scopes: string[];
  /** `OIDC_HOSTED_DOMAIN`, lowercased: the Google Workspace domain every account must belong to. */
  hostedDomain: string | null;
}

/** Validates the OIDC_* variables: settings, or the problems to report. */
function settings(env: OidcVars): OidcSettings | ConfigurationProblem {
  const problems: string[] = [];
  const issuer = isSet(env.OIDC_ISSUER) ? providerUrl(env.OIDC_ISSUER.trim()) : null;
  if (!isSet(env.OIDC_ISSUER)) problems.push('OIDC_ISSUER is not set.');
  else if (!issuer) problems.push('OIDC_ISSUER must be an https URL (http only on a loopback host).');
  if (!isSet(env.OIDC_CLIENT_ID)) problems.push('OIDC_CLIENT_ID is not set.');
  if (!isSet(env.OIDC_CLIENT_SECRET)) problems.push('OIDC_CLIENT_SECRET is not set.');
  const scopes = isSet(env.OIDC_SCOPES) ? listSetting(env.OIDC_SCOPES) : DEFAULT_SCOPES;
  if (!scopes.includes('openid')) problems.push('OIDC_SCOPES must include openid.');
  const hostedDomain = isSet(env.OIDC_HOSTED_DOMAIN) ? env.OIDC_HOSTED_DOMAIN.trim().toLowerCase() : null;
  if (hostedDomain !== null && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(hostedDomain)) {
    problems.push('OIDC_HOSTED_DOMAIN must be a domain name, such as example.com.');
  }
  if (problems.length > 0 || !issuer || !env.OIDC_CLIENT_ID || !env.OIDC_CLIENT_SECRET) {
    return new ConfigurationProblem(problems);
  }
  return {
    issuer,
    client: { client_id: env.OIDC_CLIENT_ID.trim() },
    clientSecret: env.OIDC_CLIENT_SECRET.trim(),
    scopes,
    hostedDomain,
  };
}

/** Request options: a timeout, and plain http only for a loopback issuer (a local provider). */
function requestOptions(issuer: URL) {
  return {
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    [oauth.allowInsecureRequests]: issuer.protocol === 'http:',
  };
}

/** Discovered issuer metadata, per issuer, for the isolate's life (failures are not kept). */
const discovered = new BoundedMap<string, Promise<oauth.AuthorizationServer>>(16);
/** The issuer's JWKS, per issuer, kept and refreshed by oauth4webapi. */
const jwksCaches = new BoundedMap<string, oauth.JWKSCacheInput>(16);

/** OpenID Connect Discovery 1.0 §4: fetch and validate `<issuer>/.well-known/openid-configuration`. */
function discover(issuer: URL): Promise<oauth.AuthorizationServer> {
  return discovered.getOrStart(issuer.href, async () => {
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(issuer) });
    return oauth.processDiscoveryResponse(issuer, response);
  });
}

function clientAuthentication(as: oauth.AuthorizationServer, secret: string): oauth.ClientAuth {
  const methods = as.token_endpoint_auth_methods_supported;
  // client_secret_basic is the default (OIDC Discovery §3); some providers offer only post.
  if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
    return oauth.ClientSecretPost(secret);
  }
  return oauth.ClientSecretBasic(secret);
}

function tokensOf(response: oauth.TokenEndpointResponse, previous?: UpstreamTokens): UpstreamTokens {
  const tokens: UpstreamTokens = { accessToken: response.access_token };
  const refreshToken = response.refresh_token ?? previous?.refreshToken;
  if (refreshToken) tokens.refreshToken = refreshToken;
  if (typeof response.expires_in === 'number') {
    tokens.expiresAt = Math.floor(Date.now() / 1000) + response.expires_in;
  }
  return tokens;
}

/** Why a call to the provider failed, for the log: the library's error code, never a token. */
function reasonOf(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) return `provider answered ${error.error}`;
  if (error instanceof oauth.AuthorizationResponseError) return `provider answered ${error.error}`;
  if (error instanceof oauth.OperationProcessingError || error instanceof oauth.UnsupportedOperationError) {
    return `${error.code ?? 'invalid response'}: ${error.message}`;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Network failures and timeouts, as opposed to an answer we refuse. */
function isUnreachable(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))
  );
}

/**
 * With `OIDC_HOSTED_DOMAIN`, the signed ID token must say the account is managed by that domain:
 * Google's `hd` claim, present only for Google Workspace accounts. An email address in the domain
 * is not proof of it: anyone can make a Google account for any address they can receive mail at.
 */
function checkHostedDomain(config: OidcSettings, claims: oauth.IDToken, displayName: string): void {
  if (config.hostedDomain === null) return;
  const hd = typeof claims.hd === 'string' ? claims.hd.toLowerCase() : null;
  if (hd === config.hostedDomain) return;
  throw new AccountRefused(
    hd === null ? 'no hd claim' : 'hd claim of another domain',
    `${displayName} says this account is not managed by ${config.hostedDomain}.`,
    `Sign in with your ${config.hostedDomain} account.`,
  );
}

/** The name to show for a user: the first of `name`, `preferred_username`, `email` that is set. */
function nameOf(profile: Record<string, unknown>): string | undefined {
  return [profile.name, profile.preferred_username, profile.email].find(
    (value): value is string => typeof value === 'string' && value.trim() !== '',
  );
}

/**
 * What OpenID Connect defines to call as the user: the UserInfo endpoint (OpenID Connect Core
 * §5.3). A provider's own APIs (Google's, Microsoft Graph) are beyond the standard.
 */
function userInfoApi(endpoint: URL): UpstreamApi {
  return bearerApi(endpoint, { Accept: 'application/json' });
}

function ready(config: OidcSettings, as: oauth.AuthorizationServer, displayName: string): ReadyUpstream {
  const { issuer, client } = config;
  const auth = clientAuthentication(as, config.clientSecret);
  const jwksCache = jwksCaches.getOrSet(issuer.href, () => ({}));

  /** The refresh token grant: the provider's answer, or `'revoked'` for `invalid_grant`. */
  async function refreshTokens(refreshToken: string): Promise<oauth.TokenEndpointResponse | 'revoked'> {
    let response: Response;
    try {
      response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, requestOptions(issuer));
    } catch (error) {
      throw new TransientUpstreamError(reasonOf(error));
    }
    try {
      return await oauth.processRefreshTokenResponse(as, client, response);
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant') return 'revoked';
      throw new TransientUpstreamError(reasonOf(error));
    }
  }

  /**
   * The UserInfo response (OpenID Connect Core §5.3) for `accessToken`, or `'revoked'` when the
   * provider refuses the token (401 `invalid_token`, RFC 6750 §3.1: the user or the grant is gone
   * there). Other failures are transient: they keep the grant, and no token is issued meanwhile.
   */
  async function userInfo(accessToken: string): Promise<oauth.UserInfoResponse | 'revoked'> {
    let response: Response;
    try {
      response = await oauth.userInfoRequest(as, client, accessToken, requestOptions(issuer));
    } catch (error) {
      throw new TransientUpstreamError(reasonOf(error));
    }
    if (response.status === 401) {
      await response.body?.cancel();
      return 'revoked';
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new TransientUpstreamError(`userinfo answered ${response.status}`);
    }
    try {
      return await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, response);
    } catch (error) {
      throw new TransientUpstreamError(reasonOf(error));
    }
  }

  return {
    origin: new URL(as.authorization_endpoint ?? '').origin,
    api: as.userinfo_endpoint ? userInfoApi(new URL(as.userinfo_endpoint)) : undefined,
    authorizationUrl({ redirectUri, state, codeChallenge, nonce }) {
      const url = new URL(as.authorization_endpoint ?? '');
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', client.client_id);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', config.scopes.join(' '));
      url.searchParams.set('state', state);
      url.searchParams.set('nonce', nonce);
      url.searchParams.set('code_challenge', codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      // Google's account chooser then offers only accounts of this domain: a hint for the user,
      // not a check (anyone can remove it from the URL); `finish` checks the ID token's `hd`.
      if (config.hostedDomain) url.searchParams.set('hd', config.hostedDomain);
      return url.href;
    },

    async finish({ callbackUrl, redirectUri, state, verifier, nonce }): Promise<UpstreamIdentity> {
      try {
        // `state` and `iss` (RFC 9207) of the callback, then the code with PKCE, then the ID
        // token: signature against the issuer's JWKS, iss, aud, exp, iat and our nonce.
        const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          auth,
          params,
          redirectUri,
          verifier,
          requestOptions(issuer),
        );
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: nonce,
          requireIdToken: true,
        });
        await oauth.validateApplicationLevelSignature(as, response, {
          ...requestOptions(issuer),
          [oauth.jwksCache]: jwksCache,
        });
        const claims = oauth.getValidatedIdTokenClaims(result);
        if (!claims) throw new SignInFailure('no_id_token', `${displayName} did not send an ID token.`);
        checkHostedDomain(config, claims, displayName);
        let profile: Record<string, unknown> = claims;
        if (typeof claims.email !== 'string' && as.userinfo_endpoint) {
          // Many providers put email and name in the UserInfo response, not in the ID token.
          const userInfo = await oauth.userInfoRequest(
            as,
            client,
            result.access_token,
            requestOptions(issuer),
          );
          profile = { ...(await oauth.processUserInfoResponse(as, client, claims.sub, userInfo)), ...claims };
        }
        const email =
          typeof profile.email === 'string' && profile.email_verified === true ? profile.email : null;
        return {
          subject: claims.sub,
          email: email?.toLowerCase() ?? null,
          name: nameOf(profile) ?? claims.sub,
          tokens: tokensOf(result),
        };
      } catch (error) {
        if (error instanceof SignInFailure) throw error;
        if (isUnreachable(error)) {
          throw new SignInFailure(
            `provider unreachable: ${reasonOf(error)}`,
            `${displayName} did not answer.`,
            true,
          );
        }
        throw new SignInFailure(reasonOf(error), `The sign-in with ${displayName} could not be verified.`);
      }
    },

    async recheck(known): Promise<UpstreamRecheck> {
      let tokens = known.tokens;
      let profile: Record<string, unknown> = {};
      let refreshed = false;
      // Without a UserInfo endpoint, a refresh is the only question the provider answers (most
      // refuse the refresh token of a user they removed): ask it even when the token is fresh.
      if (tokens.refreshToken && (expiresSoon(tokens) || !as.userinfo_endpoint)) {
        const renewed = await refreshTokens(tokens.refreshToken);
        if (renewed === 'revoked') return { outcome: 'revoked', reason: 'refresh answered invalid_grant' };
        tokens = tokensOf(renewed, tokens);
        const claims = oauth.getValidatedIdTokenClaims(renewed);
        // OpenID Connect Core §12.2: an ID token from a refresh is about the same user.
        if (claims && claims.sub !== known.subject) {
          return { outcome: 'revoked', reason: 'refresh answered an ID token of another subject' };
        }
        profile = { ...claims };
        refreshed = true;
      }
      if (as.userinfo_endpoint && !hasExpired(tokens)) {
        const info = await userInfo(tokens.accessToken);
        if (info === 'revoked') return { outcome: 'revoked', reason: 'userinfo refused the access token' };
        if (info.sub !== known.subject) return { outcome: 'revoked', reason: 'userinfo of another subject' };
        profile = { ...profile, ...info };
      } else if (!refreshed) {
        return { outcome: 'unverifiable' };
      }
      const hd = typeof profile.hd === 'string' ? profile.hd.toLowerCase() : null;
      if (config.hostedDomain && hd !== null && hd !== config.hostedDomain) {
        return { outcome: 'revoked', reason: 'hd claim of another domain' };
      }
      // A provider that says nothing of the email now (a UserInfo without it) leaves the one of
      // the sign-in; one that names an email decides it, and an unverified one is no email.
      const email =
        typeof profile.email === 'string'
          ? profile.email_verified === true
            ? profile.email.toLowerCase()
            : null
          : known.email;
      return {
        outcome: 'current',
        identity: { subject: known.subject, email, name: nameOf(profile) ?? known.name, tokens },
      };
    },
  };
}

/** OpenID Connect sign-in with any compliant provider (OpenID Connect Core 1.0 §3.1, with PKCE). */
export const oidc: UpstreamMethod<'oidc', OidcVars> = {
  id: 'oidc',
  displayName: (env) => (isSet(env.OIDC_DISPLAY_NAME) ? env.OIDC_DISPLAY_NAME.trim() : 'OpenID Connect'),
  configured: (env) => isSet(env.OIDC_ISSUER) || isSet(env.OIDC_CLIENT_ID) || isSet(env.OIDC_CLIENT_SECRET),
  async prepare(env) {
    const config = settings(env);
    if (config instanceof ConfigurationProblem) return config;
    let as: oauth.AuthorizationServer;
    try {
      as = await discover(config.issuer);
    } catch (error) {
      return new ConfigurationProblem([
        `OIDC_ISSUER ${config.issuer.href} did not answer OpenID Connect discovery (${reasonOf(error)}).`,
      ]);
    }
    if (!as.authorization_endpoint || !as.token_endpoint || !as.jwks_uri) {
      return new ConfigurationProblem([
        `The discovery document of ${config.issuer.href} lacks an authorization, token or JWKS endpoint.`,
      ]);
    }
    return ready(config, as, oidc.displayName(env));
  },
};
