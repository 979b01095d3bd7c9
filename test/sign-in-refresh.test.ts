import { env } from 'cloudflare:workers';
import { GrantType, OAuthError, type TokenExchangeCallbackOptions } from '@cloudflare/workers-oauth-provider';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Props } from '../src/auth/props';
import { refreshUpstreamTokens } from '../src/auth/sign-in/refresh';

// The GitHub API is the one thing outside the machine here: `fetch` to https://ghe.test is faked.
// The whole refresh path with a real provider is in test/e2e/oidc.test.ts and github.test.ts.

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

function options(grantType: GrantType, grantProps: unknown = props): TokenExchangeCallbackOptions<Env> {
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
    env: vars as Env,
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
    githubAnswers(() =>
      Response.json({ access_token: 'gho_new', refresh_token: 'ghr_new', expires_in: 28800 }),
    );
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

  it('leaves grants without upstream tokens (the demo sign-in) alone', async () => {
    const demo = { userId: 'demo:a@b.c', email: 'a@b.c', name: 'a', provider: 'demo' };
    expect(await refreshUpstreamTokens(options(GrantType.REFRESH_TOKEN, demo))).toBeUndefined();
  });
});
