import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../src/auth/env';
import { PROVIDERS, withProviders } from '../src/auth/sign-in/providers';
import {
  bearerApi,
  ConfigurationProblem,
  isSet,
  SignInFailure,
  type UpstreamIdentity,
  type UpstreamMethod,
  type UpstreamTokens,
} from '../src/auth/sign-in/upstream';
import { Browser } from './support/browser';
import { FakeOidcProvider } from './support/fake-oidc';
import { modernCall } from './support/mcp';
import { approveWithProvider, exchangeCode, redirectOf, refreshWith } from './support/oauth';
import { answerUpstreams } from './support/upstreams';
import { workerOn } from './support/worker';

// A sign-in method is one object of the UpstreamMethod interface, in a folder of its own, listed in
// src/auth/sign-in/providers/index.ts. This test writes a small one, "Acme" (plain OAuth 2.0 with
// PKCE and a UserInfo-style endpoint), and adds it to the list through `withProviders`, touching no
// other file: the sign-in page, /signin/acme and its callback, the allowlist, sessions and the
// refresh of its grants all come from the list. The upstream is the one thing outside the machine:
// the in-Worker stand-in of test/support/fake-oidc.ts answers its token and UserInfo endpoints.

const ACME = 'https://acme.test';

/** What a forker's provider folder would export: its variables, and the provider. */
interface AcmeVars {
  ACME_CLIENT_ID?: string;
  ACME_CLIENT_SECRET?: string;
}

const acmeApi = () => bearerApi(new URL(`${ACME}/`), { Accept: 'application/json' });

/** Who the holder of `tokens` is, from Acme's UserInfo. */
async function identityOf(tokens: UpstreamTokens): Promise<UpstreamIdentity | 'refused'> {
  const response = await acmeApi().fetch(tokens.accessToken, 'userinfo');
  if (response.status === 401) return 'refused';
  const user = (await response.json()) as {
    sub: string;
    email: string;
    email_verified: boolean;
    name: string;
  };
  return { subject: user.sub, email: user.email_verified ? user.email : null, name: user.name, tokens };
}

const acme: UpstreamMethod<'acme', AcmeVars> = {
  id: 'acme',
  displayName: () => 'Acme',
  configured: (vars) => isSet(vars.ACME_CLIENT_ID),
  async prepare(vars) {
    if (!isSet(vars.ACME_CLIENT_ID) || !isSet(vars.ACME_CLIENT_SECRET)) {
      return new ConfigurationProblem(['ACME_CLIENT_SECRET is not set.']);
    }
    const client = { client_id: vars.ACME_CLIENT_ID, client_secret: vars.ACME_CLIENT_SECRET };
    return {
      origin: ACME,
      api: acmeApi(),
      authorizationUrl({ redirectUri, state, codeChallenge }) {
        const url = new URL(`${ACME}/authorize`);
        url.search = new URLSearchParams({
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: redirectUri,
          state,
          code_challenge: codeChallenge,
          code_challenge_method: 'S256',
        }).toString();
        return url.href;
      },
      async finish({ callbackUrl, redirectUri, state, verifier }) {
        const code = callbackUrl.searchParams.get('code');
        if (callbackUrl.searchParams.get('state') !== state || !code) {
          throw new SignInFailure('state mismatch or no code', 'This sign-in link is not valid.');
        }
        const response = await fetch(`${ACME}/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: redirectUri,
            code_verifier: verifier,
            ...client,
          }),
        });
        const body = (await response.json()) as { access_token?: string; refresh_token?: string };
        if (!body.access_token) throw new SignInFailure('no access token', 'Acme did not sign you in.');
        const identity = await identityOf({
          accessToken: body.access_token,
          refreshToken: body.refresh_token,
        });
        if (identity === 'refused') throw new SignInFailure('userinfo refused', 'Acme did not sign you in.');
        return identity;
      },
      async recheck(known) {
        const identity = await identityOf(known.tokens);
        if (identity === 'refused') return { outcome: 'revoked', reason: 'userinfo refused the token' };
        return { outcome: 'current', identity };
      },
    };
  },
};

const acmeVars = (extra: Partial<AppEnv & AcmeVars> = {}) =>
  withProviders(
    { ...env, ACME_CLIENT_ID: 'acme-client', ACME_CLIENT_SECRET: 'acme-secret', ...extra } as AppEnv,
    [...PROVIDERS, acme],
  );

let upstream: FakeOidcProvider;

beforeAll(async () => {
  upstream = await FakeOidcProvider.create(ACME, 'acme-client', {
    sub: 'u-42',
    email: 'wile@acme.example',
    name: 'Wile E. Coyote',
  });
});

beforeEach(() => {
  upstream.reset();
  answerUpstreams({ [ACME]: upstream });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** An authorization through Acme: consent → Allow → Acme (signed in already) → our callback. */
async function authorizeThroughAcme(vars: AppEnv) {
  const fetcher = workerOn(vars);
  const browser = new Browser(undefined, fetcher);
  const { client, verifier, html, providerUrl: acmeUrl } = await approveWithProvider(browser, 'acme');
  expect(html).toContain('Acme');
  expect(acmeUrl.origin + acmeUrl.pathname).toBe(`${ACME}/authorize`);
  expect(acmeUrl.searchParams.get('redirect_uri')).toBe('http://localhost/signin/acme/callback');
  expect(acmeUrl.searchParams.get('code_challenge_method')).toBe('S256');
  const state = acmeUrl.searchParams.get('state') ?? '';
  const callback = await browser.get(`/signin/acme/callback?${new URLSearchParams({ code: 'c', state })}`);
  return { fetcher, browser, client, verifier, callback };
}

describe('a sign-in method added to the list of providers', () => {
  it('is offered on the sign-in page and signs in from there, only while it is in the list and configured', async () => {
    const page = await (await new Browser(undefined, workerOn(acmeVars())).get('/signin')).text();
    expect(page).toContain('href="/signin/acme?return_to=%2F"');
    expect(page).toContain('Continue with Acme');

    const notListed = new Browser(undefined, workerOn(withProviders(acmeVars(), PROVIDERS)));
    expect(await (await notListed.get('/signin')).text()).not.toContain('Continue with Acme');
    expect((await notListed.get('/signin/acme')).status).toBe(404);

    const notConfigured = new Browser(undefined, workerOn(acmeVars({ ACME_CLIENT_ID: '' })));
    expect((await notConfigured.get('/signin/acme')).status).toBe(404);
  });

  it('completes an authorization: the grant is the Acme user, and a refresh asks Acme again', async () => {
    const { fetcher, client, verifier, callback } = await authorizeThroughAcme(acmeVars());
    const code = redirectOf(callback).searchParams.get('code') ?? '';
    const tokens = (await (await exchangeCode(client, code, verifier, fetcher)).json()) as {
      access_token: string;
      refresh_token: string;
    };
    const { answer } = await modernCall(tokens.access_token, 'tools/call', { name: 'whoami', arguments: {} });
    expect(answer.result?.structuredContent).toEqual({
      userId: 'acme:u-42',
      email: 'wile@acme.example',
      name: 'Wile E. Coyote',
      provider: 'acme',
    });

    upstream.seen.length = 0;
    const refreshed = await refreshWith(client, tokens.refresh_token, fetcher);
    expect(refreshed.status).toBe(200);
    expect(upstream.seen).toEqual(['GET /userinfo (upstream-access-token)']);

    upstream.userInfo = 401; // the user removed the app at Acme
    const refused = await refreshWith(
      client,
      ((await refreshed.json()) as { refresh_token: string }).refresh_token,
      fetcher,
    );
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('is subject to the allowlist like every provider: another domain is refused, no session', async () => {
    const { browser, callback } = await authorizeThroughAcme(
      acmeVars({ ALLOWED_EMAIL_DOMAINS: 'example.com' }),
    );
    const html = await callback.text();
    expect(callback.status, html).toBe(403);
    expect(html).toContain('You signed in with Acme as wile@acme.example');
    expect(html).toContain('error=access_denied');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('its sessions end when it leaves the list', async () => {
    const browser = new Browser(undefined, workerOn(acmeVars()));
    const started = await browser.get('/signin/acme?return_to=%2F');
    const state = new URL(started.headers.get('Location') ?? '').searchParams.get('state') ?? '';
    const done = await browser.get(`/signin/acme/callback?${new URLSearchParams({ code: 'c', state })}`);
    expect(done.status).toBe(303);
    expect(await (await browser.get('/')).text()).toContain('You are signed in as wile@acme.example.');

    const without = new Browser(undefined, workerOn(withProviders(acmeVars(), PROVIDERS)));
    for (const [name, value] of browser.cookies) without.cookies.set(name, value);
    expect(await (await without.get('/')).text()).not.toContain('You are signed in');
  });
});
