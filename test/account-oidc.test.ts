import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../src/auth/env';
import type { OidcVars } from '../src/auth/sign-in/providers/oidc';
import { Browser, type Fetcher, hiddenField } from './support/browser';
import { FakeOidcProvider } from './support/fake-oidc';
import { tokenStatus } from './support/mcp';
import {
  authorizePath,
  consentFormOf,
  exchangeCode,
  pkce,
  type RegisteredClient,
  redirectOf,
  refreshWith,
  registerClient,
  type Tokens,
} from './support/oauth';
import { answerUpstreams } from './support/upstreams';
import { workerOn } from './support/worker';

// Remembered consent and connected apps for a user who signs in through an identity provider
// (OIDC): the provider is the one thing outside the machine, so only its HTTP is faked here
// (test/support/fake-oidc.ts). A remembered approval skips our consent page, not the provider.

const ISSUER = 'https://idp.account.test';
const CLIENT_ID = 'mcp-server-client';

const vars = {
  ...env,
  OIDC_ISSUER: ISSUER,
  OIDC_CLIENT_ID: CLIENT_ID,
  OIDC_CLIENT_SECRET: 'client-secret',
  OIDC_DISPLAY_NAME: 'Acme SSO',
} as AppEnv & OidcVars;

let idp: FakeOidcProvider;

beforeAll(async () => {
  idp = await FakeOidcProvider.create(ISSUER, CLIENT_ID, {
    sub: 'oidc-user-1',
    email: 'grace@example.com',
    name: 'Grace Hopper',
  });
});

beforeEach(() => {
  answerUpstreams({ [ISSUER]: idp });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The provider's side of a redirect the Worker made to it: signs in and comes back to our callback. */
async function throughProvider(browser: Browser, redirect: Response): Promise<URL> {
  const providerUrl = new URL(redirect.headers.get('Location') ?? '');
  expect(providerUrl.origin + providerUrl.pathname).toBe(`${ISSUER}/authorize`);
  idp.nonce = providerUrl.searchParams.get('nonce') ?? '';
  const state = providerUrl.searchParams.get('state') ?? '';
  const back = await browser.get(
    `/signin/oidc/callback?${new URLSearchParams({ iss: ISSUER, code: 'c', state })}`,
  );
  return redirectOf(back);
}

/** An authorization of `client`; answers the consent page with Allow when it shows. */
async function authorize(browser: Browser, client: RegisteredClient, options: { remember?: boolean } = {}) {
  const { verifier, challenge } = await pkce();
  const page = await browser.get(`${authorizePath(client, challenge)}&sign_in_with=oidc`);
  if (page.status === 302)
    return { consentShown: false, verifier, callback: await throughProvider(browser, page) };
  const html = await page.text();
  expect(page.status, html).toBe(200);
  const fields: Record<string, string> = {
    ...consentFormOf(html),
    scope: 'mcp',
    decision: 'approve',
    sign_in_with: 'oidc',
  };
  if (options.remember) fields.remember = 'yes';
  const approved = await browser.postForm('/authorize', fields);
  expect(approved.status).toBe(302);
  return { consentShown: true, html, verifier, callback: await throughProvider(browser, approved) };
}

/** The whole flow for a new app with "remember" ticked, the code redeemed: the app's tokens. */
async function connectRemembered(browser: Browser, fetcher: Fetcher, client: RegisteredClient) {
  await authorize(browser, client); // signs in: the first consent page has no "remember"
  const remembered = await authorize(browser, client, { remember: true });
  const code = remembered.callback.searchParams.get('code') ?? '';
  const exchanged = await exchangeCode(client, code, remembered.verifier, fetcher);
  expect(exchanged.status).toBe(200);
  return (await exchanged.json()) as Tokens;
}

describe('a user who signs in through OIDC', () => {
  it('remembers consent, still going through the provider; lists and revokes the app', async () => {
    const fetcher = workerOn(vars);
    const browser = new Browser(undefined, fetcher);
    const client = await registerClient({ client_name: 'OIDC user app' });

    // Not signed in yet: the consent page names the provider, and offers no "remember" (no user yet).
    const first = await authorize(browser, client);
    expect(first.html).not.toContain('name="remember"');
    expect(first.callback.searchParams.get('code')).toBeTruthy();

    // Signed in now: the page offers it; approving with it ticked remembers the approval.
    const second = await authorize(browser, client, { remember: true });
    expect(second.html).toContain('name="remember"');
    expect(browser.cookies.has('__Host-oauth-approvals')).toBe(true);

    // The next authorization skips our page and goes straight to the provider, then to the app.
    const third = await authorize(browser, client);
    expect(third.consentShown).toBe(false);
    expect(third.callback.searchParams.get('code')).toBeTruthy();
    expect(third.callback.searchParams.get('state')).toBe('state-123');
    // The app redeems it, which retires the second authorization's grant (kept until then).
    const code = third.callback.searchParams.get('code') ?? '';
    expect((await exchangeCode(client, code, third.verifier, fetcher)).status).toBe(200);

    // The account page lists it (the name from the client record), remembered in this browser.
    const account = await browser.get('/account');
    const html = await account.text();
    expect(account.status, html).toBe(200);
    expect(html).toContain('<span class="client-name">OIDC user app</span>');
    expect(html).toContain('Remembered in this browser');

    // Revoked: the page again.
    const revoked = await browser.postForm('/account/revoke', {
      csrf: hiddenField(html, 'csrf'),
      grant: hiddenField(html, 'grant'),
    });
    expect(revoked.status).toBe(303);
    expect((await authorize(browser, client)).consentShown).toBe(true);
  });

  it("a remembered re-authorization through the provider, never redeemed, leaves the app's tokens working", async () => {
    const fetcher = workerOn(vars);
    const browser = new Browser(undefined, fetcher);
    const client = await registerClient({ client_name: 'OIDC victim app' });
    const tokens = await connectRemembered(browser, fetcher, client);
    expect(await tokenStatus(tokens.access_token)).toBe(200);

    // Another site starts the remembered authorization; it runs through the provider to a code
    // at the app's redirect URI, which the app never redeems.
    const forced = await authorize(browser, client);
    expect(forced.consentShown).toBe(false);
    expect(forced.callback.searchParams.get('code')).toBeTruthy();
    expect(await tokenStatus(tokens.access_token)).toBe(200);
    expect((await refreshWith(client, tokens.refresh_token, fetcher)).status).toBe(200);
  });
});
