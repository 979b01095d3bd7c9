import { env } from 'cloudflare:workers';
import { GrantType, OAuthError, type TokenExchangeCallbackOptions } from '@cloudflare/workers-oauth-provider';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../src/auth/env';
import type { Props } from '../src/auth/props';
import type { OidcVars } from '../src/auth/sign-in/providers/oidc';
import { refreshUpstreamTokens } from '../src/auth/sign-in/refresh';
import { Browser, send } from './support/browser';
import { FakeGithub, type FakeGithubAccount } from './support/fake-github';
import { FakeOidcProvider } from './support/fake-oidc';
import { tokenStatus } from './support/mcp';
import { approveWithProvider, exchangeCode, redirectOf, refreshWith, type Tokens } from './support/oauth';
import { answerUpstreams } from './support/upstreams';
import { workerOn, workerWith } from './support/worker';

// The identity provider is the one thing outside the machine here: `fetch` to https://ghe.test
// (test/support/fake-github.ts) and to the OIDC issuer (test/support/fake-oidc.ts) is faked. The
// whole refresh path with a real provider is in test/e2e/oidc.test.ts and github.test.ts.

const vars = {
  ...env,
  GITHUB_CLIENT_ID: 'id',
  GITHUB_CLIENT_SECRET: 'secret',
  GITHUB_BASE_URL: 'https://ghe.test',
};

const props: Props = {
  userId: 'github:1',
  email: 'octo@example.com',
  name: 'Octo',
  provider: 'github',
  upstream: { accessToken: 'gho_old', refreshToken: 'ghr_old', expiresAt: Math.floor(Date.now() / 1000) - 1 },
};

/** ALLOWED_GITHUB_ORGS with octocat's organization, by id. */
const allowOrg = { ALLOWED_GITHUB_ORGS: '9919' };

const octocat = (): FakeGithubAccount => ({
  id: 1,
  login: 'octo',
  name: 'Octo',
  emails: [{ email: 'octo@example.com', primary: true, verified: true }],
  orgs: [{ id: 9919, login: 'acme' }],
});

function options(
  grantType: GrantType,
  grantProps: unknown = props,
  extraVars: Record<string, string> = {},
): TokenExchangeCallbackOptions<Env> {
  return {
    grantType,
    clientId: 'c',
    subjectClientId: 'c',
    userId: 'u',
    grantId: 'g',
    scope: ['mcp'],
    requestedScope: ['mcp'],
    resource: 'http://localhost',
    props: grantProps,
    env: { ...vars, ...extraVars } as Env,
  };
}

function githubAnswers(answer: (request: Request) => Response | Promise<Response>) {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => answer(new Request(input, init)));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('refreshUpstreamTokens (tokenExchangeCallback)', () => {
  it('at code exchange: the access token carries the upstream access token, not its refresh token', async () => {
    const result = await refreshUpstreamTokens(options(GrantType.AUTHORIZATION_CODE));
    expect(result?.accessTokenProps).toEqual({
      ...props,
      upstream: { accessToken: 'gho_old', expiresAt: props.upstream?.expiresAt },
    });
    expect(result?.newProps).toBeUndefined();
  });

  it('refreshes an expired upstream token and keeps the new one in the grant', async () => {
    const github = new FakeGithub('https://ghe.test', octocat());
    githubAnswers((request) => github.fetch(request));
    const result = await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN));
    const upstream = (result?.newProps as Props | undefined)?.upstream;
    expect(upstream?.accessToken).toBe('gho_new');
    expect(upstream?.refreshToken).toBe('ghr_new');
    expect((result?.accessTokenProps as Props | undefined)?.upstream?.refreshToken).toBeUndefined();
  });

  it('a revoked upstream refresh token: invalid_grant, which makes the library revoke the grant', async () => {
    githubAnswers(() => Response.json({ error: 'bad_refresh_token' }));
    const thrown = await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN)).catch((error) => error);
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).code).toBe('invalid_grant');
  });

  it('a provider that is down: temporarily_unavailable, and the grant stays', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    githubAnswers(() => new Response('down', { status: 502 }));
    const thrown = await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN)).catch((error) => error);
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).code).toBe('temporarily_unavailable');
  });

  it('asks GitHub who the user is on every refresh, and keeps what it says now in the grant', async () => {
    const github = new FakeGithub('https://ghe.test', octocat());
    github.account.name = 'Octo Renamed';
    githubAnswers((request) => github.fetch(request));
    const current = { ...props, upstream: { accessToken: 'gho_current' } };
    const result = await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN, current, allowOrg));
    expect(github.asked).toEqual(['user', 'user/emails', 'user/orgs']);
    const kept = result?.newProps as Props | undefined;
    expect(kept?.name).toBe('Octo Renamed');
    expect(kept?.email).toBe('octo@example.com');
    expect(kept?.upstreamCheckedAt).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
  });

  it('GitHub: a user removed from the allowed organization gets invalid_grant at the next refresh', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const github = new FakeGithub('https://ghe.test', octocat());
    githubAnswers((request) => github.fetch(request));
    const current = { ...props, upstream: { accessToken: 'gho_current' } };
    expect(await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN, current, allowOrg))).toBeDefined();
    github.account.orgs = [{ id: 3001, login: 'other' }];
    const thrown = await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN, current, allowOrg)).catch(
      (error) => error,
    );
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).code).toBe('invalid_grant');
  });

  it('GitHub: a token the user revoked (401 from the user API) gets invalid_grant', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const github = new FakeGithub('https://ghe.test', octocat());
    github.authorized = false;
    githubAnswers((request) => github.fetch(request));
    const current = { ...props, upstream: { accessToken: 'gho_current' } };
    const thrown = await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN, current)).catch(
      (error) => error,
    );
    expect((thrown as OAuthError).code).toBe('invalid_grant');
  });

  it('leaves grants without upstream tokens (the demo sign-in) alone', async () => {
    const demo = { userId: 'demo:a@b.c', email: 'a@b.c', name: 'a', provider: 'demo' };
    expect(await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN, demo))).toBeUndefined();
  });
});

describe('a grant made through OIDC: the provider and the allowlist are asked again at every refresh', () => {
  const ISSUER = 'https://idp.refresh.test';
  const CLIENT_ID = 'mcp-server-client';
  let idp: FakeOidcProvider;

  const oidcVars = (extra: Partial<AppEnv & OidcVars> = {}) =>
    ({
      ...env,
      OIDC_ISSUER: ISSUER,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: 'client-secret',
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      ...extra,
    }) as AppEnv;

  beforeAll(async () => {
    idp = await FakeOidcProvider.create(ISSUER, CLIENT_ID, {
      sub: 'refresh-user-1',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
    });
  });

  beforeEach(() => {
    idp.reset();
    answerUpstreams({ [ISSUER]: idp });
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });

  /** Authorization through the provider (consent, Allow, callback) and the code exchange: the app's tokens. */
  async function connectThroughIdp(vars = oidcVars()) {
    const fetcher = workerOn(vars);
    const browser = new Browser(undefined, fetcher);
    const { client, verifier, providerUrl } = await approveWithProvider(browser, 'oidc');
    idp.nonce = providerUrl.searchParams.get('nonce') ?? '';
    const state = providerUrl.searchParams.get('state') ?? '';
    const back = await browser.get(
      `/signin/oidc/callback?${new URLSearchParams({ iss: ISSUER, code: 'c', state })}`,
    );
    const code = redirectOf(back).searchParams.get('code') ?? '';
    const exchanged = await exchangeCode(client, code, verifier, fetcher);
    expect(exchanged.status).toBe(200);
    return { client, tokens: (await exchanged.json()) as Tokens };
  }

  /** The grant's KV record (`grant:<userId>:<grantId>`, from the token's public part), or null. */
  function grantRecord(token: string) {
    const [userId, grantId] = token.split(':');
    return env.OAUTH_KV.get(`grant:${userId}:${grantId}`);
  }

  async function refreshed(connection: { client: { client_id: string }; tokens: Tokens }, vars = oidcVars()) {
    const response = await refreshWith(connection.client, connection.tokens.refresh_token, workerOn(vars));
    const body = (await response.json()) as Tokens & { error?: string };
    return { status: response.status, body };
  }

  /** The answer is invalid_grant, and the grant is gone: its access token 401, its refresh token refused. */
  async function expectGrantEnded(
    connection: { client: { client_id: string }; tokens: Tokens },
    answer: { status: number; body: { error?: string } },
  ) {
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
    expect(await grantRecord(connection.tokens.access_token)).toBeNull();
    expect(await tokenStatus(connection.tokens.access_token)).toBe(401);
  }

  it('removed from ALLOWED_EMAILS: the next refresh is invalid_grant, and the grant is gone', async () => {
    const listed = oidcVars({ ALLOWED_EMAILS: 'ada@example.com', ALLOWED_EMAIL_DOMAINS: '' });
    const connection = await connectThroughIdp(listed);
    const first = await refreshed(connection, listed);
    expect(first.status).toBe(200);
    const next = { ...connection, tokens: first.body };
    const removed = oidcVars({ ALLOWED_EMAILS: 'grace@example.com', ALLOWED_EMAIL_DOMAINS: '' });
    await expectGrantEnded(next, await refreshed(next, removed));
  });

  it("the user's email moved to another domain at the provider: invalid_grant at the next refresh", async () => {
    const connection = await connectThroughIdp();
    idp.user.email = 'ada@acquirer.example';
    await expectGrantEnded(connection, await refreshed(connection));
    expect(idp.seen).toEqual(['GET /userinfo (upstream-access-token)']);
  });

  it('the provider removed the user (UserInfo answers 401): invalid_grant, and the grant is gone', async () => {
    const connection = await connectThroughIdp();
    idp.userInfo = 401;
    await expectGrantEnded(connection, await refreshed(connection));
  });

  it('the provider is down (503): temporarily_unavailable, the grant kept, and it works once the provider is back', async () => {
    const connection = await connectThroughIdp();
    idp.userInfo = 503;
    const down = await refreshed(connection);
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('temporarily_unavailable');
    expect(await grantRecord(connection.tokens.access_token)).not.toBeNull();
    expect(await tokenStatus(connection.tokens.access_token)).toBe(200);
    idp.userInfo = 200;
    expect((await refreshed(connection)).status).toBe(200);
  });

  it('an expired provider token with a refresh token: renewed first, then UserInfo asked with the new one', async () => {
    idp.accessTokenLifetime = 30; // under the 60-second margin: expired as far as a refresh is concerned
    const connection = await connectThroughIdp();
    expect((await refreshed(connection)).status).toBe(200);
    expect(idp.seen).toEqual(['POST /token (refresh_token)', 'GET /userinfo (upstream-access-token-2)']);
  });

  it('no provider refresh token and an expired provider token: refreshes work for UPSTREAM_RECHECK_SECONDS after the sign-in, then invalid_grant', async () => {
    idp.issuesRefreshTokens = false; // Google's default
    const vars = oidcVars({ UPSTREAM_RECHECK_SECONDS: '7200' });
    const connection = await connectThroughIdp(vars);
    const signedInAt = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(signedInAt + 90 * 60 * 1000); // the provider's token expired after an hour
      const within = await refreshed(connection, vars);
      expect(within.status).toBe(200);
      expect(idp.seen).toEqual([]); // nothing to ask the provider with
      vi.setSystemTime(signedInAt + 121 * 60 * 1000);
      const next = { ...connection, tokens: within.body };
      await expectGrantEnded(next, await refreshed(next, vars));
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('UPSTREAM_RECHECK_SECONDS', () => {
  it.each(['0', '59', 'a day'])('a bad value (%s) is a clear error naming the setting', async (value) => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await send(
      '/.well-known/oauth-authorization-server',
      {},
      undefined,
      workerWith({ UPSTREAM_RECHECK_SECONDS: value }),
    );
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error_description: string };
    expect(body.error_description).toContain(
      'UPSTREAM_RECHECK_SECONDS must be a whole number of seconds, at least 60',
    );
  });
});
