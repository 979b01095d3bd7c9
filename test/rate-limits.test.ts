// Each limit of wrangler.jsonc, reached cheaply: the limiter under test is swapped for
// LOW_LIMITER (2 per minute, vitest.config.ts), through the Worker's default export.
import { describe, expect, it } from 'vitest';
import { Browser, hiddenField, send } from './support/browser';
import { mcpPost, modernRequest } from './support/mcp';
import {
  approvedCode,
  authorizePath,
  connect,
  exchangeCode,
  pkce,
  REDIRECT_URI,
  refreshWith,
  registerClient,
  signIn,
} from './support/oauth';
import { bindings, workerWith } from './support/worker';

const low = bindings.LOW_LIMITER;

function expectLimited(response: Response) {
  expect(response.status).toBe(429);
  expect(response.headers.get('Retry-After')).toBe('60');
}

describe('rate limits: a limited request gets 429 with Retry-After and a clear message', () => {
  it('client registrations per address', async () => {
    const fetcher = workerWith({ REGISTER_IP_LIMITER: low });
    const address = `192.0.2.${Math.floor(Math.random() * 250)}`;
    const registration = () =>
      send(
        '/oauth/register',
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': address },
          body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
        },
        undefined,
        fetcher,
      );
    expect((await registration()).status).toBe(201);
    expect((await registration()).status).toBe(201);
    const limited = await registration();
    expectLimited(limited);
    expect(await limited.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Too many client registrations from your address. Try again in a minute.',
    });
  });

  it('token requests per client, whatever the grant', async () => {
    const { client, tokens } = await connect('limited-tokens@example.com');
    const fetcher = workerWith({ TOKEN_CLIENT_LIMITER: low });
    const refresh = (refreshToken: string) => refreshWith(client, refreshToken, fetcher);
    const first = await refresh(tokens.refresh_token);
    expect(first.status).toBe(200);
    const next = (await first.json()) as { refresh_token: string };
    expect((await refresh(next.refresh_token)).status).toBe(200);
    const limited = await refresh(next.refresh_token);
    expectLimited(limited);
    expect(((await limited.json()) as { error_description: string }).error_description).toBe(
      'Too many token requests for this client. Try again in a minute.',
    );
  });

  it("a code exchange over its client's limit leaves the code to the next attempt", async () => {
    const { client, code, verifier } = await approvedCode('limited-code@example.com');
    const limited = workerWith({ TOKEN_CLIENT_LIMITER: low });
    // Two failed exchanges (a wrong verifier) spend the client's limit and free the code each time.
    for (let attempt = 0; attempt < 2; attempt++)
      expect((await exchangeCode(client, code, `${verifier}x`, limited)).status).toBe(400);
    expectLimited(await exchangeCode(client, code, verifier, limited));
    // The limited request redeemed nothing and held nothing: the next attempt within its limit redeems.
    expect((await exchangeCode(client, code, verifier)).status).toBe(200);
  });

  it('token requests per address while the client is not known: made-up client ids get no fresh limit', async () => {
    const fetcher = workerWith({ TOKEN_ADDRESS_LIMITER: low });
    const address = `192.0.2.${Math.floor(Math.random() * 250)}`;
    const madeUp = () =>
      send(
        '/oauth/token',
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'CF-Connecting-IP': address },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: `someone:${crypto.randomUUID()}:made-up`,
            client_id: crypto.randomUUID(),
            code_verifier: 'verifier'.repeat(6),
          }),
        },
        undefined,
        fetcher,
      );
    expect((await madeUp()).status).toBe(401);
    expect((await madeUp()).status).toBe(401);
    const limited = await madeUp();
    expectLimited(limited);
    expect(await limited.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Too many token requests from your address. Try again in a minute.',
    });
  });

  it('a known client is never counted by address: past that limit, its requests from the same shared address go through', async () => {
    const { client, tokens } = await connect('shared-address@example.com');
    const fetcher = workerWith({ TOKEN_ADDRESS_LIMITER: low });
    const address = '160.79.104.10'; // one of Claude's, shared by all its users
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded', 'CF-Connecting-IP': address };
    const unknownClient = () =>
      send(
        '/oauth/token',
        {
          method: 'POST',
          headers,
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: 'a:b:c',
            client_id: 'gone',
          }),
        },
        undefined,
        fetcher,
      );
    await unknownClient();
    await unknownClient();
    expectLimited(await unknownClient());
    let refreshToken = tokens.refresh_token;
    for (let attempt = 0; attempt < 5; attempt++) {
      const refreshed = await send(
        '/oauth/token',
        {
          method: 'POST',
          headers,
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: refreshToken,
            client_id: client.client_id,
          }),
        },
        undefined,
        fetcher,
      );
      expect(refreshed.status).toBe(200);
      refreshToken = ((await refreshed.json()) as { refresh_token: string }).refresh_token;
    }
  });

  it("consent pages are counted per address only without a session: a signed-in user's are not", async () => {
    // The anonymous case, with a provider configured, is in test/sign-in-oidc.test.ts.
    const browser = new Browser('http://localhost', workerWith({ AUTHORIZE_IP_LIMITER: low }));
    const client = await registerClient();
    const { challenge } = await pkce();
    const path = authorizePath(client, challenge);
    const address = { 'CF-Connecting-IP': `203.0.113.${Math.floor(Math.random() * 250)}` };
    await signIn(browser, path, `consent-pages-${crypto.randomUUID()}@example.com`);
    for (let page = 0; page < 4; page++) expect((await browser.get(path, address)).status).toBe(200);
  });

  it('sign-in attempts per account, from any address: our page, not signed in', async () => {
    const browser = new Browser('http://localhost', workerWith({ SIGN_IN_ACCOUNT_LIMITER: low }));
    const email = `limited-${crypto.randomUUID()}@example.com`;
    const attempt = async (address: string) => {
      browser.cookies.delete('__Host-session');
      const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
      return browser.postForm('/signin', { csrf, email, password: 'pw' }, { 'CF-Connecting-IP': address });
    };
    expect((await attempt('198.51.100.1')).status).toBe(303);
    expect((await attempt('198.51.100.2')).status).toBe(303);
    const limited = await attempt('198.51.100.3');
    expectLimited(limited);
    expect(await limited.text()).toContain('Too many sign-in attempts');
    expect(limited.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(limited.headers.get('X-Frame-Options')).toBe('DENY');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('sign-in attempts per address, whatever the account', async () => {
    const browser = new Browser('http://localhost', workerWith({ SIGN_IN_IP_LIMITER: low }));
    const address = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const attempt = async () => {
      browser.cookies.delete('__Host-session');
      const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
      return browser.postForm(
        '/signin',
        { csrf, email: `${crypto.randomUUID()}@example.com`, password: 'pw' },
        { 'CF-Connecting-IP': address },
      );
    };
    expect((await attempt()).status).toBe(303);
    expect((await attempt()).status).toBe(303);
    expectLimited(await attempt());
  });

  it('MCP requests per user, on /mcp and /sse alike', async () => {
    const { tokens } = await connect(`limited-mcp-${crypto.randomUUID()}@example.com`);
    const fetcher = workerWith({ MCP_USER_LIMITER: low });
    const call = (path: string) => {
      const { body, headers } = modernRequest('tools/list');
      return mcpPost(body, { token: tokens.access_token, headers, path, fetcher });
    };
    expect((await call('/mcp')).status).toBe(200);
    expect((await call('/sse')).status).toBe(200);
    const limited = await call('/mcp');
    expectLimited(limited);
    expect(await limited.json()).toMatchObject({
      jsonrpc: '2.0',
      error: { message: 'Too many requests from this user. Try again in a minute.' },
    });
  });

  it('a limiter that fails lets requests through', async () => {
    const broken = { limit: () => Promise.reject(new Error('limiter down')) };
    const response = await send(
      '/oauth/register',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
      },
      undefined,
      workerWith({ REGISTER_IP_LIMITER: broken }),
    );
    expect(response.status).toBe(201);
  });
});
