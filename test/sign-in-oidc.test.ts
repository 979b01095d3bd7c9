import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../src/auth/env';
import { grantUserId } from '../src/auth/grant-user';
import type { GithubVars } from '../src/auth/sign-in/providers/github';
import type { OidcVars } from '../src/auth/sign-in/providers/oidc';
import { Browser, ORIGIN, send } from './support/browser';
import { FakeOidcProvider, rsaKey } from './support/fake-oidc';
import { countingKv } from './support/faults';
import { captureLogs } from './support/logs';
import {
  authorizePath,
  consentFormOf,
  pkce,
  type RegisteredClient,
  redirectOf,
  registerClient,
} from './support/oauth';
import { OFF_ORIGIN_RETURN_TOS, resolvedOrigin } from './support/return-to';
import { answerUpstreams, DOWN } from './support/upstreams';
import { bindings, workerOn } from './support/worker';

// The identity provider is the one thing outside the machine, so only its HTTP is faked here
// (test/support/fake-oidc.ts): `fetch` to https://idp.test answers discovery, JWKS and token
// requests, and the ID token is signed (or mis-signed) by a key made in this test. What a real
// provider does is proven end to end in test/e2e/oidc.test.ts; here are the answers a real one
// would not give.

const ISSUER = 'https://idp.test';
const CLIENT_ID = 'mcp-server-client';

const oidcEnv = (extra: Partial<AppEnv & OidcVars & GithubVars> = {}) =>
  ({
    ...env,
    OIDC_ISSUER: ISSUER,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET: 'client-secret',
    OIDC_DISPLAY_NAME: 'Acme SSO',
    ALLOWED_EMAIL_DOMAINS: 'example.com',
    ...extra,
  }) as AppEnv & OidcVars;

let idp: FakeOidcProvider;
let otherKey: CryptoKeyPair;
const goodClaims = (nonce: string) => idp.goodClaims(nonce);

beforeAll(async () => {
  idp = await FakeOidcProvider.create(ISSUER, CLIENT_ID, {
    sub: 'user-123',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
  });
  otherKey = await rsaKey();
});

beforeEach(() => {
  idp.reset();
  answerUpstreams({ [ISSUER]: idp, 'https://down.test': DOWN });
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface Started {
  browser: Browser;
  client: RegisteredClient;
  /** The provider's authorization URL the Worker redirected to after Allow. */
  providerUrl: URL;
  state: string;
}

/** Authorization request → consent page ("you sign in with Acme SSO next") → Allow → provider. */
async function startAuthorization(vars = oidcEnv()): Promise<Started> {
  const fetcher = workerOn(vars);
  const client = await registerClient();
  const browser = new Browser(undefined, fetcher);
  const { challenge } = await pkce();
  const path = `${authorizePath(client, challenge)}&sign_in_with=oidc`;
  const consent = await browser.get(path);
  const html = await consent.text();
  expect(consent.status, html).toBe(200);
  expect(html).toContain('You sign in with');
  expect(consent.headers.get('Content-Security-Policy')).toContain(
    `form-action 'self' http://127.0.0.1:33418 ${ISSUER}`,
  );
  const approved = await browser.postForm('/authorize', {
    ...consentFormOf(html),
    scope: 'mcp',
    decision: 'approve',
    sign_in_with: 'oidc',
  });
  expect(approved.status).toBe(302);
  const providerUrl = new URL(approved.headers.get('Location') ?? '');
  expect(providerUrl.origin + providerUrl.pathname).toBe(`${ISSUER}/authorize`);
  idp.nonce = providerUrl.searchParams.get('nonce') ?? '';
  return { browser, client, providerUrl, state: providerUrl.searchParams.get('state') ?? '' };
}

function callback(browser: Browser, params: Record<string, string>): Promise<Response> {
  return browser.get(`/signin/oidc/callback?${new URLSearchParams({ iss: ISSUER, ...params })}`);
}

async function transactionKey(state: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(state));
  return `transaction:${[...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

describe('OIDC sign-in during an authorization', () => {
  it('sends the provider PKCE S256, state, nonce and our callback; a valid ID token completes it', async () => {
    const { browser, providerUrl, state } = await startAuthorization();
    expect(providerUrl.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(providerUrl.searchParams.get('redirect_uri')).toBe('http://localhost/signin/oidc/callback');
    expect(providerUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(providerUrl.searchParams.get('scope')).toBe('openid email profile');
    expect(idp.nonce.length).toBeGreaterThanOrEqual(32);
    const done = await callback(browser, { code: 'the-code', state });
    const back = redirectOf(done);
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('state-123');
    expect(browser.cookies.has('__Host-session')).toBe(true);
  });

  it.each([
    ['another audience', (nonce: string) => ({ ...goodClaims(nonce), aud: 'someone-else' })],
    ['another issuer', (nonce: string) => ({ ...goodClaims(nonce), iss: 'https://evil.test' })],
    ['another nonce', (nonce: string) => ({ ...goodClaims(nonce), nonce: `${nonce}x` })],
    ['no nonce', (nonce: string) => ({ ...goodClaims(nonce), nonce: undefined })],
    [
      'an expired ID token',
      (nonce: string) => ({ ...goodClaims(nonce), exp: Math.floor(Date.now() / 1000) - 3600 }),
    ],
  ])(
    'refuses an ID token with %s: our page, a way back with access_denied, no session',
    async (_, claims) => {
      const { browser, state } = await startAuthorization();
      idp.idTokenClaims = claims;
      const refused = await callback(browser, { code: 'the-code', state });
      const html = await refused.text();
      expect(refused.status, html).toBe(400);
      expect(html).toContain('The sign-in with Acme SSO could not be verified.');
      expect(html).toMatch(
        /href="http:\/\/127\.0\.0\.1:33418\/callback\?error=access_denied&amp;[^"]*state=state-123/,
      );
      expect(browser.cookies.has('__Host-session')).toBe(false);
    },
  );

  it("refuses an ID token signed with a key that is not in the provider's JWKS", async () => {
    const { browser, state } = await startAuthorization();
    idp.signWith = otherKey.privateKey;
    const refused = await callback(browser, { code: 'the-code', state });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('could not be verified');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('refuses a callback with a missing, wrong or replayed state, or one opened in another browser', async () => {
    const { browser, state } = await startAuthorization();
    const missing = await callback(browser, { code: 'the-code' });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('This sign-in has expired');
    const wrong = await callback(browser, { code: 'the-code', state: `${state}x` });
    expect(wrong.status).toBe(400);

    const otherBrowser = new Browser(undefined, workerOn(oidcEnv()));
    const foreign = await callback(otherBrowser, { code: 'the-code', state });
    expect(foreign.status).toBe(400);
    expect(otherBrowser.cookies.has('__Host-session')).toBe(false);

    expect((await callback(browser, { code: 'the-code', state })).status).toBe(302); // the real one, once
    const replayed = await callback(browser, { code: 'the-code', state });
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('This sign-in has expired');
  });

  it('refuses an expired state (its record gone from KV, as its 10-minute TTL does)', async () => {
    const { browser, state } = await startAuthorization();
    await env.OAUTH_KV.delete(await transactionKey(state));
    const expired = await callback(browser, { code: 'the-code', state });
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('This sign-in has expired');
  });

  it('an unverified email does not pass the email allowlist: refused, access_denied, no session', async () => {
    const { browser, state } = await startAuthorization();
    idp.idTokenClaims = (nonce) => ({ ...goodClaims(nonce), email_verified: false });
    const refused = await callback(browser, { code: 'the-code', state });
    const html = await refused.text();
    expect(refused.status).toBe(403);
    expect(html).toContain('This account may not use this server');
    expect(html).toContain('Acme SSO did not confirm an email address');
    expect(html).toContain('error=access_denied');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('logs sign_in, consent_given and sign_in_refused with the pseudonymous grant user id, never the email', async () => {
    const logs = captureLogs();
    try {
      const allowed = await startAuthorization();
      expect((await callback(allowed.browser, { code: 'the-code', state: allowed.state })).status).toBe(302);
      const refused = await startAuthorization(oidcEnv({ ALLOWED_EMAIL_DOMAINS: 'elsewhere.test' }));
      expect((await callback(refused.browser, { code: 'the-code', state: refused.state })).status).toBe(403);

      for (const line of logs.raw) {
        expect(line).not.toContain('ada@example.com');
        expect(line).not.toContain('user-123');
      }
      const pseudonym = await grantUserId('oidc:user-123');
      for (const event of ['sign_in', 'consent_given', 'sign_in_refused']) {
        expect(logs.of(event)[0]?.grantUserId, event).toBe(pseudonym);
      }
    } finally {
      logs.restore();
    }
  });

  it('the provider answering error=access_denied sends the app access_denied at once', async () => {
    const { browser, state } = await startAuthorization();
    const denied = redirectOf(await callback(browser, { error: 'access_denied', state }));
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('state-123');
    expect(denied.searchParams.get('iss')).toBe('http://localhost');
  });
});

describe('consent pages without a session', () => {
  // Each consent page writes a record to KV (the library's beginConsent). Without a session that
  // is bounded per address (AUTHORIZE_IP_LIMITER, swapped here for LOW_LIMITER: 2 a minute).
  it('cookieless GETs from one address: consent records up to the limit, then 429 and no write', async () => {
    const kv = countingKv(env.OAUTH_KV);
    const vars = oidcEnv({ OAUTH_KV: kv, AUTHORIZE_IP_LIMITER: bindings.LOW_LIMITER });
    const client = await registerClient();
    const { challenge } = await pkce();
    const path = `${authorizePath(client, challenge)}&sign_in_with=oidc`;
    const address = `198.18.0.${Math.floor(Math.random() * 250)}`;
    const get = (from: string) =>
      send(path, { headers: { 'CF-Connecting-IP': from } }, undefined, workerOn(vars));
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let attempt = 0; attempt < 25; attempt++) {
      const response = await get(address);
      statuses.push(response.status);
      if (response.status === 429) limited = response;
      else await response.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, ...Array(23).fill(429)]);
    // (The session key is written once, by the first request of a fresh namespace.)
    const writes = kv.writes.filter((write) => write !== 'put config:session-secret');
    expect(writes).toEqual([
      expect.stringMatching(/^put transaction:/),
      expect.stringMatching(/^put transaction:/),
    ]);
    expect(limited?.headers.get('Retry-After')).toBe('60');
    expect(limited?.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(await limited?.text()).toContain('Too many sign-in requests');
    // Another address still gets its page.
    expect((await get('198.18.1.1')).status).toBe(200);
  });
});

describe('OIDC_HOSTED_DOMAIN (Google Workspace)', () => {
  const workspace = () => oidcEnv({ OIDC_HOSTED_DOMAIN: 'Example.com', ALLOWED_EMAIL_DOMAINS: '' });

  it('sends hd= to the provider, and an ID token whose hd claim is that domain completes the sign-in', async () => {
    const { browser, providerUrl, state } = await startAuthorization(workspace());
    expect(providerUrl.searchParams.get('hd')).toBe('example.com');
    idp.idTokenClaims = (nonce) => ({ ...goodClaims(nonce), hd: 'example.com' });
    expect(
      redirectOf(await callback(browser, { code: 'the-code', state })).searchParams.get('code'),
    ).toBeTruthy();
  });

  it.each([
    ['no hd claim (a personal Google account, whatever its email)', undefined],
    ['the hd claim of another Workspace', 'evil.example'],
    ['an hd claim that only ends with the domain', 'notexample.com'],
  ])('refuses %s: our page, access_denied, no session', async (_, hd) => {
    const { browser, state } = await startAuthorization(workspace());
    idp.idTokenClaims = (nonce) => ({ ...goodClaims(nonce), hd });
    const refused = await callback(browser, { code: 'the-code', state });
    const html = await refused.text();
    expect(refused.status, html).toBe(403);
    expect(html).toContain('This account may not use this server');
    expect(html).toContain('Acme SSO says this account is not managed by example.com.');
    expect(html).toContain('error=access_denied');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });
});

describe('OIDC sign-in from the start page (not part of an authorization)', () => {
  async function start(browser: Browser, returnTo = '/') {
    const response = await browser.get(`/signin/oidc?return_to=${encodeURIComponent(returnTo)}`);
    expect(response.status).toBe(303);
    const providerUrl = new URL(response.headers.get('Location') ?? '');
    idp.nonce = providerUrl.searchParams.get('nonce') ?? '';
    return providerUrl.searchParams.get('state') ?? '';
  }

  it('signs in and returns to the start page; the state works once, in this browser only', async () => {
    const fetcher = workerOn(oidcEnv());
    const browser = new Browser(undefined, fetcher);
    const state = await start(browser);
    expect(browser.cookies.has('__Host-upstream-signin')).toBe(true);

    const stranger = new Browser(undefined, fetcher);
    expect((await callback(stranger, { code: 'the-code', state })).status).toBe(400);

    const done = await callback(browser, { code: 'the-code', state });
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe('/');
    expect(browser.cookies.has('__Host-session')).toBe(true);
    expect(browser.cookies.has('__Host-upstream-signin')).toBe(false);
    expect((await callback(browser, { code: 'the-code', state })).status).toBe(400);
  });

  it('a callback with another state ends the pending sign-in: its cookie is removed, the right state then refused', async () => {
    const browser = new Browser(undefined, workerOn(oidcEnv()));
    const state = await start(browser);
    const wrong = await callback(browser, { code: 'the-code', state: `${state}x` });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.getSetCookie().join('\n')).toMatch(/__Host-upstream-signin=; Max-Age=0/);
    expect(browser.cookies.has('__Host-upstream-signin')).toBe(false);
    const late = await callback(browser, { code: 'the-code', state });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('This sign-in has expired');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('a callback for another method, or with a tampered cookie, removes the cookie too', async () => {
    const fetcher = workerOn(oidcEnv({ GITHUB_CLIENT_ID: 'gh', GITHUB_CLIENT_SECRET: 'gh-secret' }));
    const browser = new Browser(undefined, fetcher);
    const state = await start(browser);
    const github = await browser.get(`/signin/github/callback?${new URLSearchParams({ code: 'c', state })}`);
    expect(github.status).toBe(400);
    expect(browser.cookies.has('__Host-upstream-signin')).toBe(false);

    await start(browser);
    const [data = ''] = (browser.cookies.get('__Host-upstream-signin') ?? '').split('.');
    browser.cookies.set('__Host-upstream-signin', `${data}.AAAA`);
    expect((await callback(browser, { code: 'the-code', state })).status).toBe(400);
    expect(browser.cookies.has('__Host-upstream-signin')).toBe(false);
  });

  it.each(OFF_ORIGIN_RETURN_TOS)(
    'with return_to %j, the sign-in keeps / and the callback returns there, on this server',
    async (returnTo) => {
      const browser = new Browser(undefined, workerOn(oidcEnv()));
      const state = await start(browser, returnTo);
      const done = await callback(browser, { code: 'the-code', state });
      expect(done.status).toBe(303);
      expect(done.headers.get('Location')).toBe('/');
      expect(resolvedOrigin(done.headers.get('Location'), ORIGIN)).toBe(ORIGIN);
      expect(browser.cookies.has('__Host-session')).toBe(true);
    },
  );

  it('its session stops counting once OIDC is no longer configured: signed out on every page', async () => {
    const browser = new Browser(undefined, workerOn(oidcEnv()));
    const state = await start(browser);
    expect((await callback(browser, { code: 'the-code', state })).status).toBe(303);
    expect(await (await browser.get('/')).text()).toContain('ada@example.com');
    expect((await browser.get('/account')).status).toBe(200);

    const unconfigured = new Browser(undefined, workerOn({ ...env } as AppEnv));
    for (const [name, value] of browser.cookies) unconfigured.cookies.set(name, value);
    expect(await (await unconfigured.get('/')).text()).not.toContain('ada@example.com');
    const account = await unconfigured.get('/account');
    expect(account.status).toBe(303);
    expect(account.headers.get('Location')).toBe('/signin?return_to=%2Faccount');
    expect((await unconfigured.get('/signin?return_to=%2Faccount')).status).toBe(200);
  });

  it('refuses its state after 10 minutes', async () => {
    const browser = new Browser(undefined, workerOn(oidcEnv()));
    const state = await start(browser);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 11 * 60 * 1000);
      const expired = await callback(browser, { code: 'the-code', state });
      expect(expired.status).toBe(400);
      expect(browser.cookies.has('__Host-session')).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('configuration problems', () => {
  it.each([
    ['a client id without a secret', { OIDC_CLIENT_SECRET: '' }, 'OIDC_CLIENT_SECRET is not set.'],
    [
      'an http issuer on a public host',
      { OIDC_ISSUER: 'http://idp.example.com' },
      'OIDC_ISSUER must be an https URL',
    ],
    ['scopes without openid', { OIDC_SCOPES: 'email profile' }, 'OIDC_SCOPES must include openid.'],
    [
      'a hosted domain that is not a domain name',
      { OIDC_HOSTED_DOMAIN: 'https://example.com/' },
      'OIDC_HOSTED_DOMAIN must be a domain name',
    ],
    [
      'an issuer that does not answer discovery',
      { OIDC_ISSUER: 'https://down.test' },
      'did not answer OpenID Connect discovery',
    ],
  ])('%s: a clear page (503, not 500) and a JSON log line', async (_, vars, logged) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const browser = new Browser(undefined, workerOn(oidcEnv(vars as Partial<OidcVars>)));
    const response = await browser.get('/signin/oidc?return_to=%2F');
    const html = await response.text();
    expect(response.status).toBe(503);
    expect(html).toContain('Sign-in with Acme SSO is not available');
    const line = errors.mock.calls
      .map(([text]) => String(text))
      .find((text) => text.includes('sign_in_misconfigured'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line ?? '{}') as { provider: string; problems: string[] };
    expect(entry.provider).toBe('oidc');
    expect(entry.problems.join(' ')).toContain(logged);
    expect(line).not.toContain('client-secret');
  });

  it('is reported on the authorization path too, before the consent page', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const client = await registerClient();
    const { challenge } = await pkce();
    const browser = new Browser(undefined, workerOn(oidcEnv({ OIDC_CLIENT_SECRET: '' })));
    const response = await browser.get(`${authorizePath(client, challenge)}&sign_in_with=oidc`);
    expect(response.status).toBe(503);
  });
});

describe('the sign-in page', () => {
  it('lists every configured method, with the demo form on a loopback host', async () => {
    const vars = oidcEnv({ GITHUB_CLIENT_ID: 'gh', GITHUB_CLIENT_SECRET: 'gh-secret' });
    const html = await (await new Browser(undefined, workerOn(vars)).get('/signin')).text();
    expect(html).toContain('href="/signin/oidc?return_to=%2F">Continue with Acme SSO</a>');
    expect(html).toContain('href="/signin/github?return_to=%2F">Continue with GitHub</a>');
    expect(html).toContain('name="password"');
  });

  it('on a public host with one provider, an authorization goes straight to consent for it', async () => {
    const client = await registerClient();
    const { challenge } = await pkce();
    const browser = new Browser('https://mcp.example.com', workerOn(oidcEnv()));
    const page = await browser.get(authorizePath(client, challenge, { resource: 'https://mcp.example.com' }));
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(html).toContain('Acme SSO, after you allow');
    expect(html).not.toContain('name="password"');
  });
});
