import {
  AccountRefused,
  bearerApi,
  ConfigurationProblem,
  expiresSoon,
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
  type UpstreamOrganization,
  type UpstreamRecheck,
  type UpstreamTokens,
} from '../../upstream';
import { organizationRule } from './organizations';

/** The variables GitHub sign-in reads (docs/configuration.md). */
export interface GithubVars {
  /** The OAuth app's (or GitHub App's) client id and secret. */
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  /** GitHub Enterprise Server, e.g. `https://github.example.com`; github.com when unset. */
  GITHUB_BASE_URL?: string;
  /** Organizations whose members may sign in, by id or login, comma-separated (./organizations.ts). */
  ALLOWED_GITHUB_ORGS?: string;
  /**
   * More OAuth scopes to ask GitHub for, for tools that call its API as the user
   * (src/features/github/): `repo` (private repositories too) or `public_repo`.
   */
  GITHUB_SCOPES?: string;
}

interface GithubSettings {
  clientId: string;
  clientSecret: string;
  /** Where users sign in: https://github.com, or the GitHub Enterprise Server URL. */
  web: URL;
  /** The REST API: https://api.github.com, or `<server>/api/v3`. */
  api: URL;
  scopes: string[];
}

function settings(env: GithubVars): GithubSettings | ConfigurationProblem {
  const problems: string[] = [];
  if (!isSet(env.GITHUB_CLIENT_ID)) problems.push('GITHUB_CLIENT_ID is not set.');
  if (!isSet(env.GITHUB_CLIENT_SECRET)) problems.push('GITHUB_CLIENT_SECRET is not set.');
  let web = new URL('https://github.com/');
  let api = new URL('https://api.github.com/');
  if (isSet(env.GITHUB_BASE_URL)) {
    const base = providerUrl(env.GITHUB_BASE_URL.trim().replace(/\/+$/, ''));
    if (!base) {
      problems.push('GITHUB_BASE_URL must be an https URL (http only on a loopback host).');
    } else {
      web = new URL(`${base.href.replace(/\/+$/, '')}/`);
      api = new URL('api/v3/', web);
    }
  }
  if (problems.length > 0 || !env.GITHUB_CLIENT_ID || !env.GITHUB_CLIENT_SECRET) {
    return new ConfigurationProblem(problems);
  }
  // read:org only when organization membership decides who may sign in.
  const scopes = ['read:user', 'user:email'];
  if (organizationRule.active(env)) scopes.push('read:org');
  for (const scope of listSetting(env.GITHUB_SCOPES)) if (!scopes.includes(scope)) scopes.push(scope);
  return {
    clientId: env.GITHUB_CLIENT_ID.trim(),
    clientSecret: env.GITHUB_CLIENT_SECRET.trim(),
    web,
    api,
    scopes,
  };
}

interface GithubTokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
}

/** GitHub's token endpoint answers errors with 200 and an `error` field. */
async function tokenRequest(
  config: GithubSettings,
  fields: Record<string, string>,
): Promise<GithubTokenResponse> {
  const response = await fetch(new URL('login/oauth/access_token', config.web), {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.clientId, client_secret: config.clientSecret, ...fields }),
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  if (response.status >= 500) throw new TransientUpstreamError(`token endpoint answered ${response.status}`);
  const body = (await response.json().catch(() => ({}))) as GithubTokenResponse;
  if (!response.ok && !body.error) body.error = `http_${response.status}`;
  return body;
}

function tokensOf(body: GithubTokenResponse, previous?: UpstreamTokens): UpstreamTokens | null {
  if (typeof body.access_token !== 'string' || body.access_token === '') return null;
  const tokens: UpstreamTokens = { accessToken: body.access_token };
  // OAuth apps get tokens that do not expire; GitHub Apps with expiring tokens add these two.
  const refreshToken = body.refresh_token || previous?.refreshToken;
  if (refreshToken) tokens.refreshToken = refreshToken;
  if (typeof body.expires_in === 'number') tokens.expiresAt = Math.floor(Date.now() / 1000) + body.expires_in;
  return tokens;
}

/** GitHub's REST API as the holder of an access token (docs.github.com/rest). */
function restApi(config: GithubSettings): UpstreamApi {
  return bearerApi(config.api, {
    Accept: 'application/vnd.github+json',
    'User-Agent': 'remote-mcp-server',
    'X-GitHub-Api-Version': '2022-11-28',
  });
}

/** GitHub refused the access token (401): the user removed the app, or the token expired. */
class TokenRefused extends Error {}

async function apiJson<T>(api: UpstreamApi, path: string, accessToken: string): Promise<T> {
  const response = await api.fetch(accessToken, path);
  if (response.status === 401) throw new TokenRefused(`GET ${path} answered 401`);
  if (response.status >= 500) throw new TransientUpstreamError(`GET ${path} answered ${response.status}`);
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

interface GithubUser {
  id: number;
  login: string;
  name?: string | null;
}

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * The user's primary email, lowercased, when GitHub has verified it; otherwise `null`. Never a
 * secondary address: the primary one is where the user chose to be reached, while a secondary one
 * is often an old address (a former employer's) that GitHub still lists as verified, and it would
 * pass that employer's `ALLOWED_EMAIL_DOMAINS`.
 */
function primaryVerifiedEmail(emails: unknown): string | null {
  if (!Array.isArray(emails)) return null;
  const primary = (emails as GithubEmail[]).find((entry) => entry.primary === true);
  if (primary?.verified !== true || typeof primary.email !== 'string') return null;
  return primary.email.toLowerCase();
}

/**
 * Who the holder of `tokens` is: `/user`, `/user/emails` (the primary verified email, or the
 * account is refused) and, when `ALLOWED_GITHUB_ORGS` is set, `/user/orgs`.
 */
async function identityOf(
  api: UpstreamApi,
  tokens: UpstreamTokens,
  wantsOrgs: boolean,
  displayName: string,
): Promise<UpstreamIdentity> {
  const user = await apiJson<GithubUser>(api, 'user', tokens.accessToken);
  if (typeof user.id !== 'number' || typeof user.login !== 'string') {
    throw new SignInFailure('GET /user returned no id', `${displayName} did not say who you are.`);
  }
  const email = primaryVerifiedEmail(await apiJson<unknown>(api, 'user/emails', tokens.accessToken));
  if (email === null) {
    throw new AccountRefused(
      'no verified primary email',
      `${displayName} has no verified primary email address for ${user.login}.`,
      `Verify your primary email address in your ${displayName} email settings, then sign in again.`,
    );
  }
  let organizations: UpstreamOrganization[] | undefined;
  if (wantsOrgs) {
    const orgs = await apiJson<unknown>(api, 'user/orgs?per_page=100', tokens.accessToken);
    organizations = Array.isArray(orgs)
      ? (orgs as Array<{ id: number; login: string }>).map((org) => ({
          id: String(org.id),
          login: String(org.login),
        }))
      : [];
  }
  return { subject: String(user.id), email, name: user.name?.trim() || user.login, organizations, tokens };
}

function ready(config: GithubSettings, displayName: string, wantsOrgs: boolean): ReadyUpstream {
  const api = restApi(config);
  return {
    origin: config.web.origin,
    api,
    authorizationUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL('login/oauth/authorize', config.web);
      url.searchParams.set('client_id', config.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', config.scopes.join(' '));
      url.searchParams.set('state', state);
      url.searchParams.set('code_challenge', codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      return url.href;
    },

    async finish({ callbackUrl, redirectUri, state, verifier }): Promise<UpstreamIdentity> {
      const params = callbackUrl.searchParams;
      if (params.get('state') !== state) {
        throw new SignInFailure('state mismatch', 'This sign-in link is not valid.');
      }
      const code = params.get('code');
      if (params.has('error') || !code) {
        throw new SignInFailure(
          `provider answered ${params.get('error') ?? 'no code'}`,
          `${displayName} did not sign you in.`,
        );
      }
      try {
        const body = await tokenRequest(config, { code, redirect_uri: redirectUri, code_verifier: verifier });
        const tokens = tokensOf(body);
        if (!tokens) {
          throw new SignInFailure(
            `token endpoint answered ${body.error ?? 'no access_token'}`,
            `The sign-in with ${displayName} could not be completed.`,
          );
        }
        return await identityOf(api, tokens, wantsOrgs, displayName);
      } catch (error) {
        if (error instanceof SignInFailure) throw error;
        const unreachable =
          error instanceof TypeError || (error instanceof Error && error.name === 'TimeoutError');
        throw new SignInFailure(
          error instanceof Error ? error.message : String(error),
          unreachable
            ? `${displayName} did not answer.`
            : `The sign-in with ${displayName} could not be completed.`,
          unreachable || error instanceof TransientUpstreamError,
        );
      }
    },

    async recheck(known): Promise<UpstreamRecheck> {
      try {
        let tokens = known.tokens;
        // OAuth apps' tokens do not expire; GitHub Apps' expiring ones come with a refresh token.
        if (tokens.refreshToken && expiresSoon(tokens)) {
          const body = await tokenRequest(config, {
            grant_type: 'refresh_token',
            refresh_token: tokens.refreshToken,
          });
          const refreshed = tokensOf(body, tokens);
          if (!refreshed) {
            if (body.error === 'bad_refresh_token' || body.error === 'invalid_grant') {
              return { outcome: 'revoked', reason: `token endpoint answered ${body.error}` };
            }
            throw new TransientUpstreamError(`token endpoint answered ${body.error ?? 'no access_token'}`);
          }
          tokens = refreshed;
        }
        // The same questions as at sign-in, so the allowlist is checked on what GitHub says now:
        // a token the user revoked is a 401; an email or an organization may have changed.
        const identity = await identityOf(api, tokens, wantsOrgs, displayName);
        if (identity.subject !== known.subject) return { outcome: 'revoked', reason: 'another GitHub user' };
        return { outcome: 'current', identity };
      } catch (error) {
        if (error instanceof TokenRefused) return { outcome: 'revoked', reason: error.message };
        if (error instanceof AccountRefused) return { outcome: 'revoked', reason: error.reason };
        if (error instanceof TransientUpstreamError) throw error;
        throw new TransientUpstreamError(error instanceof Error ? error.message : String(error));
      }
    },
  };
}

/** GitHub (or GitHub Enterprise Server) OAuth app sign-in. */
export const github: UpstreamMethod<'github', GithubVars> = {
  id: 'github',
  displayName: (env) => (isSet(env.GITHUB_BASE_URL) ? 'GitHub Enterprise' : 'GitHub'),
  configured: (env) => isSet(env.GITHUB_CLIENT_ID) || isSet(env.GITHUB_CLIENT_SECRET),
  async prepare(env) {
    const config = settings(env);
    if (config instanceof ConfigurationProblem) return config;
    return ready(config, github.displayName(env), organizationRule.active(env));
  },
  allowRule: organizationRule,
};
