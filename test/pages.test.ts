import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../src/auth/env';
import worker from '../src/index';
import { Browser, type Fetcher, hiddenField, send } from './support/browser';
import { failingKv } from './support/faults';
import { authorizePath, consentFormOf, pkce, registerClient } from './support/oauth';
import { bindings, workerWith } from './support/worker';

const PUBLIC_ORIGIN = 'https://mcp.example.com';

/** The Worker as deployed with `DEMO_SIGN_IN=true` (wrangler.jsonc has "false"). */
const withDemoSignIn: Fetcher = (request) =>
  worker.fetch(request, { ...env, DEMO_SIGN_IN: 'true' } as AppEnv, createExecutionContext());

function expectSecurityHeaders(response: Response) {
  const csp = response.headers.get('Content-Security-Policy') ?? '';
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('script-src');
  expect(response.headers.get('X-Frame-Options')).toBe('DENY');
  expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
  expect(response.headers.get('Cache-Control')).toBe('no-store');
}

describe('landing page', () => {
  it('shows the MCP and SSE URLs of the host it was reached at', async () => {
    const local = await send('/');
    expect(local.status).toBe(200);
    expect(local.headers.get('Content-Type')).toMatch(/^text\/html/);
    const localHtml = await local.text();
    expect(localHtml).toContain('<code>http://localhost/mcp</code>');
    expect(localHtml).toContain('<code>http://localhost/sse</code>');

    const remote = await send('/', {}, PUBLIC_ORIGIN);
    const remoteHtml = await remote.text();
    expect(remoteHtml).toContain('<code>https://mcp.example.com/mcp</code>');
    expect(remoteHtml).not.toContain('http://localhost');
  });

  it('is sent with the security headers, and HSTS on https', async () => {
    const local = await send('/');
    expectSecurityHeaders(local);
    expect(local.headers.has('Strict-Transport-Security')).toBe(false);
    const remote = await send('/', {}, PUBLIC_ORIGIN);
    expectSecurityHeaders(remote);
    expect(remote.headers.get('Strict-Transport-Security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('serves our stylesheet', async () => {
    const response = await send('/assets/style.css');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/css; charset=utf-8');
  });
});

describe('errors', () => {
  it('an unknown path gets our 404 page, with the security headers', async () => {
    const response = await send('/no-such-page');
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('There is no page at /no-such-page.');
    expectSecurityHeaders(response);
  });

  it('plain http on a public host is refused', async () => {
    const response = await send('/', {}, 'http://mcp.example.com');
    expect(response.status).toBe(400);
  });

  it('a malformed /authorize (no parameters) gets our 400 page, never a 500', async () => {
    const response = await send('/authorize');
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<h1>This app&#39;s request is not valid</h1>');
    expect(html).toContain('client_id is required');
    expect(response.headers.has('Location')).toBe(false);
  });

  it.each([
    [
      'an unknown client_id',
      '/authorize?response_type=code&client_id=nobody&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_challenge=abcdefghijabcdefghijabcdefghijabcdefghij123&code_challenge_method=S256',
    ],
    [
      'an oversized client_id',
      `/authorize?response_type=code&client_id=${'a'.repeat(600)}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb`,
    ],
  ])(
    'an /authorize naming %s gets our 400 page saying the app must reconnect, never a 500',
    async (_name, path) => {
      // A client this server does not know: its registration expired or the app was removed.
      const response = await send(path);
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain('<h1>This app needs to reconnect</h1>');
      expect(response.headers.has('Location')).toBe(false);
    },
  );

  it('an /authorize with a redirect URI the client did not register is not redirected there', async () => {
    const client = await registerClient();
    const path = authorizePath(client, (await pkce()).challenge, { redirectUri: 'https://evil.example/cb' });
    const response = await send(path);
    expect(response.status).toBe(400);
    expect(response.headers.has('Location')).toBe(false);
  });
});

describe('demo sign-in on a public host', () => {
  async function publicAuthorizePath(): Promise<string> {
    const client = await registerClient();
    return authorizePath(client, (await pkce()).challenge, { resource: PUBLIC_ORIGIN });
  }

  it('is off by default: no sign-in form, and a posted sign-in is refused', async () => {
    const browser = new Browser(PUBLIC_ORIGIN);
    const page = await browser.get(await publicAuthorizePath());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('No sign-in method is configured');
    expect(html).toContain('<code>mcp.example.com</code>');
    expect(html).not.toContain('name="password"');

    // Even a post carrying a valid CSRF pair (the cookie the page set) signs no one in.
    const csrf = browser.cookies.get('__Host-csrf') ?? '';
    expect(csrf).not.toBe('');
    const response = await browser.postForm('/signin', { csrf, email: 'ada@example.com', password: 'pw' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('No sign-in method is configured');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('is on with DEMO_SIGN_IN=true', async () => {
    const browser = new Browser(PUBLIC_ORIGIN, withDemoSignIn);
    const path = await publicAuthorizePath();
    const page = await browser.get(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain('No sign-in method is configured');
    expect(html).toContain('name="password"');

    const response = await browser.postForm('/signin', {
      csrf: hiddenField(html, 'csrf'),
      return_to: path,
      email: 'ada@example.com',
      password: 'pw',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe(path);
    expect(browser.cookies.has('__Host-session')).toBe(true);
    const consent = await browser.get(path);
    expect(await consent.text()).toContain('to use this server as you?');
  });
});

describe('a demo session after the demo sign-in is turned off', () => {
  /** A browser on the public host, signed in with the demo method while it was on, with an app connected. */
  async function demoSessionWithAnApp(): Promise<{ cookies: Map<string, string>; path: string }> {
    const browser = new Browser(PUBLIC_ORIGIN, withDemoSignIn);
    const client = await registerClient({ client_name: 'Demo-era app' });
    const path = authorizePath(client, (await pkce()).challenge, { resource: PUBLIC_ORIGIN });
    const html = await (await browser.get(path)).text();
    await browser.postForm('/signin', {
      csrf: hiddenField(html, 'csrf'),
      return_to: path,
      email: 'ada@example.com',
      password: 'pw',
    });
    const consent = await (await browser.get(path)).text();
    const approved = await browser.postForm('/authorize', {
      ...consentFormOf(consent),
      scope: 'mcp',
      decision: 'approve',
    });
    expect(approved.status).toBe(302);
    const account = await browser.get('/account');
    expect(account.status).toBe(200);
    expect(await account.text()).toContain('Demo-era app');
    return { cookies: browser.cookies, path };
  }

  it.each([
    ['DEMO_SIGN_IN unset', workerWith({ DEMO_SIGN_IN: undefined })],
    ['DEMO_SIGN_IN=false', workerWith({ DEMO_SIGN_IN: 'false' })],
  ])(
    'with %s it is no session: /authorize asks to sign in, /account shows no app',
    async (_name, fetcher) => {
      const { cookies, path } = await demoSessionWithAnApp();
      const browser = new Browser(PUBLIC_ORIGIN, fetcher);
      for (const [name, value] of cookies) browser.cookies.set(name, value);
      expect(browser.cookies.has('__Host-session')).toBe(true);

      const authorize = await browser.get(path);
      const html = await authorize.text();
      expect(authorize.status).toBe(200);
      expect(html).toContain('No sign-in method is configured');
      expect(html).not.toContain('to use this server as you?');

      const account = await browser.get('/account');
      expect(account.status).toBe(303);
      expect(account.headers.get('Location')).toBe('/signin?return_to=%2Faccount');

      const landing = await (await browser.get('/')).text();
      expect(landing).not.toContain('ada@example.com');
      const signin = await browser.get('/signin?return_to=%2Faccount');
      expect(signin.status).toBe(200);
    },
  );
});

describe('SESSION_SECRET', () => {
  const FIX = 'npx wrangler secret put SESSION_SECRET';

  /** The Worker without SESSION_SECRET; any use of the key kept in KV (`config:…`) is recorded. */
  function withoutSecret() {
    const kv = failingKv(bindings.OAUTH_KV, (_operation, key) => key.startsWith('config:'));
    return { kv, fetcher: workerWith({ SESSION_SECRET: undefined, OAUTH_KV: kv }) };
  }

  it('a public host without it: every page is our 500 page naming the fix, and no key is made in KV', async () => {
    const { kv, fetcher } = withoutSecret();
    const client = await registerClient();
    const authorize = authorizePath(client, (await pkce()).challenge, { resource: PUBLIC_ORIGIN });
    const browser = new Browser(PUBLIC_ORIGIN, fetcher);
    for (const path of ['/', '/signin', '/account', authorize, '/signin/oidc/callback?state=x']) {
      const response = await browser.get(path);
      const html = await response.text();
      expect(response.status, path).toBe(500);
      expect(html).toContain('<h1>This server is not set up yet</h1>');
      expect(html).toContain(FIX);
      expectSecurityHeaders(response);
    }
    const posted = await browser.postForm('/signin', { csrf: 'x', email: 'ada@example.com', password: 'pw' });
    expect(posted.status).toBe(500);
    expect(browser.cookies.has('__Host-session')).toBe(false);
    expect(kv.failed).toEqual([]);
  });

  it('a public host without it: the protocol and MCP routes answer a JSON 500 naming the fix', async () => {
    const { kv, fetcher } = withoutSecret();
    const requests: Array<[string, RequestInit]> = [
      ['/.well-known/oauth-protected-resource', {}],
      ['/.well-known/oauth-protected-resource/mcp', {}],
      ['/.well-known/oauth-authorization-server', {}],
      ['/oauth/register', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }],
      ['/oauth/token', { method: 'POST', body: 'grant_type=authorization_code&code=a:b:c' }],
      ['/mcp', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }],
      ['/sse', {}],
    ];
    for (const [path, init] of requests) {
      const response = await send(path, init, PUBLIC_ORIGIN, fetcher);
      expect(response.status, path).toBe(500);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('server_error');
      expect(body.error_description).toContain(FIX);
    }
    expect(kv.failed).toEqual([]);
  });

  it('a loopback host without it (wrangler dev) signs in with a key kept in KV', async () => {
    const browser = new Browser(undefined, workerWith({ SESSION_SECRET: undefined }));
    const html = await (await browser.get('/signin')).text();
    const response = await browser.postForm('/signin', {
      csrf: hiddenField(html, 'csrf'),
      email: 'ada@example.com',
      password: 'pw',
    });
    expect(response.status).toBe(303);
    expect(await (await browser.get('/')).text()).toContain('You are signed in as ada@example.com.');
    expect(await bindings.OAUTH_KV.get('config:session-secret')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('session', () => {
  it('sets only __Host- cookies that are Secure, HttpOnly and SameSite=Lax', async () => {
    const browser = new Browser();
    const page = await browser.get('/signin');
    const html = await page.text();
    const response = await browser.postForm('/signin', {
      csrf: hiddenField(html, 'csrf'),
      email: 'ada@example.com',
      password: 'pw',
    });
    const cookies = [...page.headers.getSetCookie(), ...response.headers.getSetCookie()];
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/^__Host-/);
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      expect(cookie).toMatch(/; Path=\//i);
    }
  });

  it('a tampered session cookie is not a session', async () => {
    const browser = new Browser();
    const html = await (await browser.get('/signin')).text();
    await browser.postForm('/signin', {
      csrf: hiddenField(html, 'csrf'),
      email: 'ada@example.com',
      password: 'pw',
    });
    const cookie = browser.cookies.get('__Host-session') ?? '';
    const [data = '', signature = ''] = cookie.split('.');
    const forged = btoa(
      JSON.stringify({
        userId: 'demo:root@example.com',
        email: 'root@example.com',
        name: 'root',
        provider: 'demo',
        exp: 4102444800,
      }),
    )
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '');
    expect(data).not.toBe(forged);
    browser.cookies.set('__Host-session', `${forged}.${signature}`);
    const landing = await (await browser.get('/')).text();
    expect(landing).not.toContain('root@example.com');
    expect(landing).toContain('<a href="/signin">Sign in</a>');
  });

  it('signing out ends the session', async () => {
    const browser = new Browser();
    const html = await (await browser.get('/signin')).text();
    await browser.postForm('/signin', {
      csrf: hiddenField(html, 'csrf'),
      email: 'ada@example.com',
      password: 'pw',
    });
    const landing = await (await browser.get('/')).text();
    expect(landing).toContain('You are signed in as ada@example.com.');
    const out = await browser.postForm('/signout', { csrf: hiddenField(landing, 'csrf') });
    expect(out.status).toBe(303);
    expect(browser.cookies.has('__Host-session')).toBe(false);
    expect(await (await browser.get('/')).text()).not.toContain('You are signed in');
  });
});
