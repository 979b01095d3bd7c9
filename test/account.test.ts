import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../src/auth/env';
import worker from '../src/index';
import { fromBase64Url, toBase64Url } from '../src/lib/base64url';
import { Browser, hiddenField, ORIGIN } from './support/browser';
import { mcpPost, modernRequest, tokenStatus } from './support/mcp';
import {
  authorizePath,
  consentFormOf,
  exchangeCode,
  pkce,
  type RegisteredClient,
  redirectOf,
  refreshWith,
  registerClient as registerSupportClient,
  signIn,
  type Tokens,
} from './support/oauth';

// Connected apps (/account) and remembered consent, in workerd with the real Worker: a browser
// (cookie jar) signs in, connects apps through the real consent page, and then lists and revokes
// them. What a revoke does is checked from the app's side: its tokens at /mcp and /oauth/token.

const APPROVALS_COOKIE = '__Host-oauth-approvals';

function uniqueEmail(name: string): string {
  return `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}

/** A browser signed in with the demo method as `email`. */
async function signedIn(email: string): Promise<Browser> {
  const browser = new Browser();
  const response = await signIn(browser, '/signin?return_to=%2Faccount', email);
  expect(response.status).toBe(303);
  return browser;
}

interface Authorization {
  client: RegisteredClient;
  /** The consent page, when one was shown. */
  consentHtml?: string;
  tokens: Tokens;
}

interface AuthorizeOptions {
  scopes?: string[];
  /** Tick "Remember my choice" on the consent page. */
  remember?: boolean;
  /** Expect the consent page to be skipped (remembered consent). */
  expectSkipped?: boolean;
  redirectUri?: string;
}

/** One authorization of `client` in `browser` (signed in), through the consent page unless remembered. */
async function authorize(
  browser: Browser,
  client: RegisteredClient,
  options: AuthorizeOptions = {},
): Promise<Authorization> {
  const scopes = options.scopes ?? ['mcp'];
  const redirectUri = options.redirectUri ?? client.redirect_uris[0] ?? '';
  const { verifier, challenge } = await pkce();
  const path = authorizePath(client, challenge, { redirectUri, extra: { scope: scopes.join(' ') } });
  const page = await browser.get(path);
  let consentHtml: string | undefined;
  let redirect: Response;
  if (options.expectSkipped) {
    expect(page.status, 'the consent page was skipped').toBe(302);
    redirect = page;
  } else {
    consentHtml = await page.text();
    expect(page.status, consentHtml).toBe(200);
    expect(consentHtml).toContain('to use this server as you?');
    const fields: Record<string, string | string[]> = {
      ...consentFormOf(consentHtml),
      scope: scopes,
      decision: 'approve',
    };
    if (options.remember) fields.remember = 'yes';
    redirect = await browser.postForm('/authorize', fields);
  }
  const code = redirectOf(redirect).searchParams.get('code');
  if (!code) throw new Error(`No code in ${redirect.headers.get('Location')}`);
  const exchanged = await exchangeCode({ ...client, redirect_uris: [redirectUri] }, code, verifier);
  expect(exchanged.status).toBe(200);
  return { client, consentHtml, tokens: (await exchanged.json()) as Tokens };
}

/**
 * A public client registered from an address of its own: this file registers dozens of apps, more
 * than registrations are allowed per address.
 */
function registerClient(overrides: Record<string, unknown> = {}): Promise<RegisteredClient> {
  return registerSupportClient(overrides, `2001:db8::${crypto.randomUUID().slice(0, 4)}`);
}

/** Registers an app named `name` and connects it in `browser`. */
async function connectApp(browser: Browser, name: string, options: AuthorizeOptions = {}) {
  const client = await registerClient({ client_name: name });
  return authorize(browser, client, options);
}

/** Whether the consent page shows for another authorization of `client` (without answering it). */
async function consentShown(
  browser: Browser,
  client: RegisteredClient,
  scopes = ['mcp'],
  redirectUri?: string,
) {
  const { challenge } = await pkce();
  const path = authorizePath(client, challenge, { redirectUri, extra: { scope: scopes.join(' ') } });
  const response = await browser.get(path);
  if (response.status === 302) return false;
  const html = await response.text();
  expect(response.status, html).toBe(200);
  expect(html).toContain('to use this server as you?');
  return true;
}

function refresh(authorization: Authorization): Promise<Response> {
  return refreshWith(authorization.client, authorization.tokens.refresh_token);
}

/** The /account page's HTML, checked to be a 200. */
async function accountPage(browser: Browser, path = '/account'): Promise<string> {
  const response = await browser.get(path);
  const html = await response.text();
  expect(response.status, html).toBe(200);
  return html;
}

/** The grant ids on the account page, in page order. */
function grantIds(html: string): string[] {
  return [...html.matchAll(/<input type="hidden" name="grant" value="([^"]+)"/g)].map(
    (match) => match[1] ?? '',
  );
}

/** The card of the app named `name` (escaped as in the page). */
function cardOf(html: string, name: string): string {
  const cards = html.split('<div class="card app">').slice(1);
  const card = cards.find((text) => text.includes(`<span class="client-name">${name}</span>`));
  if (!card) throw new Error(`No app named ${name} on the page:\n${html}`);
  return card;
}

/** The grant id in a token the library issued (`userId:grantId:secret`). */
function grantOf(token: string): string {
  return token.split(':')[1] ?? '';
}

function revoke(browser: Browser, csrf: string, grant: string, headers: HeadersInit = {}) {
  return browser.postForm('/account/revoke', { csrf, grant }, headers);
}

describe('the account page', () => {
  it('lists an app by the name its consent page showed, signed in the form; a name changed there is not taken', async () => {
    const browser = await signedIn(uniqueEmail('named'));
    const client = await registerClient({ client_name: 'Shown app' });
    const { challenge } = await pkce();
    const path = authorizePath(client, challenge, {
      redirectUri: client.redirect_uris[0],
      extra: { scope: 'mcp' },
    });
    const form = consentFormOf(await (await browser.get(path)).text());
    const [scopes, name, signature] = form.offer.split('.');
    expect(new TextDecoder().decode(fromBase64Url(name ?? '') ?? undefined)).toBe('Shown app');
    const forged = `${scopes}.${toBase64Url(new TextEncoder().encode('Forged app'))}.${signature}`;
    const redirect = await browser.postForm('/authorize', {
      ...form,
      offer: forged,
      scope: ['mcp'],
      decision: 'approve',
    });
    expect(redirect.status).toBe(302);
    const html = await accountPage(browser);
    expect(html).toContain('<span class="client-name">Shown app</span>');
    expect(html).not.toContain('Forged app');
  });

  it('asks a browser without a session to sign in, and comes back after', async () => {
    const browser = new Browser();
    const response = await browser.get('/account');
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('/signin?return_to=%2Faccount');
    const signedInResponse = await signIn(browser, '/signin?return_to=%2Faccount', uniqueEmail('back'));
    expect(signedInResponse.headers.get('Location')).toBe('/account');
    expect(await accountPage(browser)).toContain('No app is connected to your account.');
  });

  it('lists every app the user connected: name, self-registered, scopes, when connected and last used', async () => {
    const browser = await signedIn(uniqueEmail('lister'));
    const first = await connectApp(browser, 'First app');
    const second = await connectApp(browser, 'Second app', { scopes: ['mcp', 'notes:read'] });

    const response = await browser.get('/account');
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.get('X-Frame-Options')).toBe('DENY');
    expect(response.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(grantIds(html)).toHaveLength(2);
    expect(html).toContain('<h1>Connected apps</h1>');

    const firstCard = cardOf(html, 'First app');
    expect(firstCard).toContain('Self-registered: its name is not verified.');
    expect(firstCard).toContain('<code>mcp</code>');
    expect(firstCard).not.toContain('notes:read');
    expect(firstCard).toContain('127.0.0.1:33418');
    expect(firstCard).toMatch(
      /<dt>Connected<\/dt><dd><time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/,
    );
    expect(firstCard).toContain('<dt>Last used</dt><dd>Not yet</dd>');
    expect(firstCard).toContain('Asked each time it connects');
    expect(firstCard).toContain('aria-label="Revoke First app"');
    expect(cardOf(html, 'Second app')).toContain('<code>notes:read</code>');

    // Both apps' tokens work; the page changed nothing.
    expect(await tokenStatus(first.tokens.access_token)).toBe(200);
    expect(await tokenStatus(second.tokens.access_token)).toBe(200);
  });

  it('shows when an app last used its token', async () => {
    const browser = await signedIn(uniqueEmail('used'));
    const app = await connectApp(browser, 'Busy app');
    expect(cardOf(await accountPage(browser), 'Busy app')).toContain('<dt>Last used</dt><dd>Not yet</dd>');

    // The MCP request records the use after its response (ctx.waitUntil): wait for that here.
    const ctx = createExecutionContext();
    const { body, headers } = modernRequest('tools/list');
    const request = new Request(`${ORIGIN}/mcp`, {
      method: 'POST',
      headers: {
        ...headers,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${app.tokens.access_token}`,
      },
      body: JSON.stringify(body),
    });
    const used = await worker.fetch(request, env as AppEnv, ctx);
    expect(used.status).toBe(200);
    await waitOnExecutionContext(ctx);

    const card = cardOf(await accountPage(browser), 'Busy app');
    expect(card).toMatch(
      /<dt>Last used<\/dt><dd><time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/,
    );
  });

  it('escapes a hostile app name everywhere it appears', async () => {
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'';
    const browser = await signedIn(uniqueEmail('xss'));
    await connectApp(browser, hostile);
    const html = await accountPage(browser);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('aria-label="Revoke &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it("shows a Client ID Metadata Document app's verified domain", async () => {
    const clientId = 'https://apps.example.net/mcp/client.json';
    const redirectUri = 'http://127.0.0.1:40111/callback';
    // The app's metadata document is the one thing outside the machine: answer its fetch here.
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = new Request(input, init).url;
      if (url !== clientId) throw new Error(`Unexpected fetch of ${url}`);
      return Response.json(
        {
          client_id: clientId,
          client_name: 'Metadata app',
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
        },
        { headers: { 'Cache-Control': 'no-store' } },
      );
    });
    const browser = await signedIn(uniqueEmail('cimd'));
    const client: RegisteredClient = {
      client_id: clientId,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
    };
    const connected = await authorize(browser, client);
    expect(connected.consentHtml).toContain('Published by <strong>apps.example.net</strong>');
    const card = cardOf(await accountPage(browser), 'Metadata app');
    expect(card).toContain('Published by <strong>apps.example.net</strong> (verified domain)');
    expect(card).not.toContain('Self-registered');
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the landing page links to it when signed in, and not when signed out', async () => {
    expect(await (await new Browser().get('/')).text()).not.toContain('href="/account"');
    const browser = await signedIn(uniqueEmail('landing'));
    expect(await (await browser.get('/')).text()).toContain('<a href="/account">Connected apps</a>');
  });
});

describe('revoking', () => {
  it("revokes one app at once: its access and refresh tokens stop working, the other app's keep working", async () => {
    const browser = await signedIn(uniqueEmail('revoker'));
    const keep = await connectApp(browser, 'Kept app');
    const gone = await connectApp(browser, 'Revoked app');
    const html = await accountPage(browser);
    const goneGrant = hiddenField(cardOf(html, 'Revoked app'), 'grant');

    const response = await revoke(browser, hiddenField(html, 'csrf'), goneGrant);
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('/account?notice=revoked');

    // The next MCP request is refused with the challenge that sends the app to authorize again.
    const { body, headers } = modernRequest('tools/list');
    const refused = await mcpPost(body, { token: gone.tokens.access_token, headers });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('WWW-Authenticate')).toContain(
      `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp"`,
    );
    const refreshed = await refresh(gone);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');

    expect(await tokenStatus(keep.tokens.access_token)).toBe(200);
    expect((await refresh(keep)).status).toBe(200);

    const after = await accountPage(browser, '/account?notice=revoked');
    expect(after).toContain('The app was disconnected.');
    expect(after).not.toContain('Revoked app');
    expect(after).toContain('Kept app');
  });

  it("Revoke all: every app of the user stops working, and nobody else's", async () => {
    const browser = await signedIn(uniqueEmail('all'));
    const one = await connectApp(browser, 'One');
    const two = await connectApp(browser, 'Two');
    const bystander = await connectApp(await signedIn(uniqueEmail('bystander')), 'Bystander app');

    const html = await accountPage(browser);
    const response = await browser.postForm('/account/revoke-all', { csrf: hiddenField(html, 'csrf') });
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('/account?notice=revoked-all');

    for (const app of [one, two]) {
      expect(await tokenStatus(app.tokens.access_token)).toBe(401);
      expect((await refresh(app)).status).toBe(400);
    }
    expect(await tokenStatus(bystander.tokens.access_token)).toBe(200);
    const after = await accountPage(browser, '/account?notice=revoked-all');
    expect(grantIds(after)).toEqual([]);
    expect(after).toContain('Every app was disconnected.');
  });

  it('after a revoke the app must ask again, through the consent page', async () => {
    const browser = await signedIn(uniqueEmail('again'));
    const app = await connectApp(browser, 'Comes back');
    const html = await accountPage(browser);
    await revoke(browser, hiddenField(html, 'csrf'), hiddenField(html, 'grant'));
    const again = await authorize(browser, app.client);
    expect(again.consentHtml).toContain('Comes back');
    expect(await tokenStatus(again.tokens.access_token)).toBe(200);
  });
});

describe('revoking is safe from forgery', () => {
  async function victim() {
    const browser = await signedIn(uniqueEmail('victim'));
    const app = await connectApp(browser, 'Victim app');
    const html = await accountPage(browser);
    return { browser, app, csrf: hiddenField(html, 'csrf'), grant: hiddenField(html, 'grant') };
  }

  async function expectUnchanged(v: Awaited<ReturnType<typeof victim>>) {
    expect(await tokenStatus(v.app.tokens.access_token)).toBe(200);
    expect(grantIds(await accountPage(v.browser))).toEqual([v.grant]);
  }

  it('without the session cookie: refused, nothing revoked', async () => {
    const v = await victim();
    const cookieless = new Browser();
    for (const [name, value] of v.browser.cookies)
      if (name !== '__Host-session') cookieless.cookies.set(name, value);
    const response = await revoke(cookieless, v.csrf, v.grant);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('You are signed out');
    expect((await cookieless.postForm('/account/revoke-all', { csrf: v.csrf })).status).toBe(403);
    await expectUnchanged(v);
  });

  it('with a forged or missing CSRF token: refused, nothing revoked', async () => {
    const v = await victim();
    expect((await revoke(v.browser, 'forged-token-forged-token-forged-token-1234', v.grant)).status).toBe(
      403,
    );
    expect((await v.browser.postForm('/account/revoke', { grant: v.grant })).status).toBe(403);
    expect((await v.browser.postForm('/account/revoke-all', { csrf: 'forged' })).status).toBe(403);
    await expectUnchanged(v);
  });

  it('posted from another site (Origin, Sec-Fetch-Site), even with the right token: refused', async () => {
    const v = await victim();
    expect((await revoke(v.browser, v.csrf, v.grant, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await revoke(v.browser, v.csrf, v.grant, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    const all = await v.browser.postForm(
      '/account/revoke-all',
      { csrf: v.csrf },
      { 'Sec-Fetch-Site': 'same-site' },
    );
    expect(all.status).toBe(403);
    await expectUnchanged(v);
  });

  it('a GET does not revoke, and a JSON body is not a form', async () => {
    const v = await victim();
    expect((await v.browser.get(`/account/revoke?csrf=${v.csrf}&grant=${v.grant}`)).status).toBe(404);
    const json = await v.browser.postForm('/account/revoke', {}, { 'Content-Type': 'application/json' });
    expect(json.status).toBe(403);
    await expectUnchanged(v);
  });

  it("a user cannot revoke another user's grant by its id", async () => {
    const v = await victim();
    const mallory = await signedIn(uniqueEmail('mallory'));
    await connectApp(mallory, 'Mallory app');
    const malloryCsrf = hiddenField(await accountPage(mallory), 'csrf');
    const response = await revoke(mallory, malloryCsrf, v.grant);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('That app is not connected to your account');
    for (const bad of ['', 'x'.repeat(600), 'a:b', '../grant']) {
      expect((await revoke(mallory, malloryCsrf, bad)).status).toBe(404);
    }
    await expectUnchanged(v);
  });
});

describe('remembered consent', () => {
  it('the consent page offers it, unticked, to a signed-in user', async () => {
    const browser = await signedIn(uniqueEmail('offer'));
    const client = await registerClient({ client_name: 'Offered app' });
    const { challenge } = await pkce();
    const html = await (await browser.get(authorizePath(client, challenge))).text();
    expect(html).toContain('<input id="remember" type="checkbox" name="remember" value="yes"/>');
    expect(html).toContain('Remember my choice');
  });

  it('without ticking it, the next authorization asks again', async () => {
    const browser = await signedIn(uniqueEmail('unticked'));
    const app = await connectApp(browser, 'Unremembered app');
    expect(browser.cookies.has(APPROVALS_COOKIE)).toBe(false);
    expect(await consentShown(browser, app.client)).toBe(true);
  });

  it('skips the page for the same app, redirect URI and scopes; the account page lists it', async () => {
    const browser = await signedIn(uniqueEmail('remember'));
    const first = await connectApp(browser, 'Remembered app', { remember: true });
    expect(browser.cookies.has(APPROVALS_COOKIE)).toBe(true);
    expect(cardOf(await accountPage(browser), 'Remembered app')).toContain('Remembered in this browser');

    const second = await authorize(browser, first.client, { expectSkipped: true });
    expect(second.tokens.scope).toBe('mcp');
    expect(await tokenStatus(second.tokens.access_token)).toBe(200);
    // The new grant replaced the old one (the library revokes earlier grants of the same app).
    expect(await tokenStatus(first.tokens.access_token)).toBe(401);
    expect(grantIds(await accountPage(browser))).toHaveLength(1);
  });

  it("a remembered re-authorization started by another site, never redeemed, leaves the app's tokens working", async () => {
    const browser = await signedIn(uniqueEmail('forced'));
    const app = await connectApp(browser, 'Victim app', { remember: true });
    // Another site sends the browser to /authorize for the remembered app, with its own state
    // and PKCE: a top-level navigation, so the browser sends its cookies (SameSite=Lax).
    const { challenge } = await pkce();
    const forced = await browser.get(authorizePath(app.client, challenge, { state: 'attacker-state' }), {
      'Sec-Fetch-Site': 'cross-site',
      'Sec-Fetch-Mode': 'navigate',
    });
    const code = redirectOf(forced).searchParams.get('code');
    expect(code).toBeTruthy();
    // The app never redeems that code: its grant and tokens are as they were.
    expect(await tokenStatus(app.tokens.access_token)).toBe(200);
    const refreshed = await refresh(app);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as Tokens;
    expect(await tokenStatus(next.access_token)).toBe(200);
    expect(grantIds(await accountPage(browser))).toContain(grantOf(app.tokens.access_token));
  });

  it('the app redeeming a remembered re-authorization retires its earlier grant then, not before', async () => {
    const browser = await signedIn(uniqueEmail('redeemed'));
    const first = await connectApp(browser, 'Reconnecting app', { remember: true });
    const { verifier, challenge } = await pkce();
    const skipped = await browser.get(authorizePath(first.client, challenge));
    const code = redirectOf(skipped).searchParams.get('code') ?? '';
    expect(await tokenStatus(first.tokens.access_token)).toBe(200);
    const exchanged = await exchangeCode(first.client, code, verifier);
    expect(exchanged.status).toBe(200);
    const second = (await exchanged.json()) as Tokens;
    expect(await tokenStatus(second.access_token)).toBe(200);
    expect(await tokenStatus(first.tokens.access_token)).toBe(401);
    expect((await refresh(first)).status).toBe(400);
    expect(grantIds(await accountPage(browser))).toEqual([grantOf(second.access_token)]);
  });

  it("Allow on the consent page still replaces the app's earlier grant at once, before any redemption", async () => {
    const browser = await signedIn(uniqueEmail('allowed'));
    const first = await connectApp(browser, 'Re-approved app');
    const { challenge } = await pkce();
    const html = await (await browser.get(authorizePath(first.client, challenge))).text();
    const approved = await browser.postForm('/authorize', {
      ...consentFormOf(html),
      scope: 'mcp',
      decision: 'approve',
    });
    expect(redirectOf(approved).searchParams.get('code')).toBeTruthy();
    expect(await tokenStatus(first.tokens.access_token)).toBe(401);
    expect((await refresh(first)).status).toBe(400);
  });

  it('asking for more scopes, or another redirect URI, shows the page again', async () => {
    const browser = await signedIn(uniqueEmail('wider'));
    const client = await registerClient({
      client_name: 'Growing app',
      redirect_uris: ['http://127.0.0.1:33418/callback', 'http://127.0.0.1:33419/other'],
    });
    await authorize(browser, client, { remember: true });
    expect(await consentShown(browser, client, ['mcp'])).toBe(false);
    expect(await consentShown(browser, client, ['mcp', 'notes:read'])).toBe(true);
    expect(await consentShown(browser, client, ['mcp'], 'http://127.0.0.1:33419/other')).toBe(true);
  });

  it('an app that asks with prompt=consent gets the page', async () => {
    const browser = await signedIn(uniqueEmail('prompt'));
    const app = await connectApp(browser, 'Prompting app', { remember: true });
    expect(await consentShown(browser, app.client)).toBe(false);
    const { challenge } = await pkce();
    const page = await browser.get(
      authorizePath(app.client, challenge, { extra: { prompt: 'login consent' } }),
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('to use this server as you?');
  });

  it('after a revoke the page shows again, though the browser still holds the approval', async () => {
    const browser = await signedIn(uniqueEmail('revoked'));
    const app = await connectApp(browser, 'Revoked then back', { remember: true });
    const html = await accountPage(browser);
    await revoke(browser, hiddenField(html, 'csrf'), hiddenField(html, 'grant'));
    expect(browser.cookies.has(APPROVALS_COOKIE)).toBe(true);
    expect(await consentShown(browser, app.client)).toBe(true);
  });

  it('after Revoke all the page shows again', async () => {
    const browser = await signedIn(uniqueEmail('revoked-all'));
    const app = await connectApp(browser, 'All gone', { remember: true });
    const csrf = hiddenField(await accountPage(browser), 'csrf');
    await browser.postForm('/account/revoke-all', { csrf });
    expect(await consentShown(browser, app.client)).toBe(true);
  });

  it('another user in the same browser sees the page', async () => {
    const browser = await signedIn(uniqueEmail('first-user'));
    const app = await connectApp(browser, 'Shared browser app', { remember: true });
    const csrf = hiddenField(await accountPage(browser), 'csrf');
    expect((await browser.postForm('/signout', { csrf })).status).toBe(303);
    expect((await signIn(browser, '/signin', uniqueEmail('second-user'))).status).toBe(303);
    expect(browser.cookies.has(APPROVALS_COOKIE)).toBe(true);
    expect(await consentShown(browser, app.client)).toBe(true);
    // Even once the second user has a grant of their own for that app: the approval was the first user's.
    await authorize(browser, app.client);
    expect(await consentShown(browser, app.client)).toBe(true);
  });

  it('a tampered approvals cookie is ignored', async () => {
    const browser = await signedIn(uniqueEmail('tamper'));
    const app = await connectApp(browser, 'Tampered app', { remember: true });
    const cookie = browser.cookies.get(APPROVALS_COOKIE) ?? '';
    const [payload = '', signature = ''] = cookie.split('.');
    browser.cookies.set(APPROVALS_COOKIE, `${payload}.${signature.slice(0, -2)}AA`);
    expect(await consentShown(browser, app.client)).toBe(true);
  });
});
