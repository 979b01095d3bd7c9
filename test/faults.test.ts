// KV and Durable Object faults injected through wrappers of the real bindings (support/faults.ts):
// the Worker answers 503 with a clear message, and nothing is left half-made.
import { describe, expect, it } from 'vitest';
import { Browser, hiddenField, send } from './support/browser';
import { failingDurableObjects, failingKv } from './support/faults';
import { mcpPost, modernRequest, tokenStatus } from './support/mcp';
import {
  approvedCode,
  authorizePath,
  connect,
  consentPage,
  exchangeCode,
  pkce,
  redirectOf,
  refreshWith,
  registerClient,
  signIn,
  type Tokens,
} from './support/oauth';
import { bindings, workerWith } from './support/worker';

/** The Worker with OAUTH_KV failing the operations `fails` picks. */
function kvFailing(fails: (operation: string, key: string) => boolean) {
  const kv = failingKv(bindings.OAUTH_KV, fails);
  return { kv, fetcher: workerWith({ OAUTH_KV: kv }) };
}

async function expectJson503(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get('Retry-After')).toBe('5');
  expect(await response.json()).toEqual({
    error: 'temporarily_unavailable',
    error_description: 'The server could not reach its storage. Try again shortly.',
  });
}

async function grantsOf(email: string): Promise<number> {
  const { grantUserId } = await import('../src/auth/grant-user');
  const listed = await bindings.OAUTH_KV.list({ prefix: `grant:${await grantUserId(`demo:${email}`)}:` });
  return listed.keys.length;
}

describe('a failing KV', () => {
  it('consent: a failed grant write is our 503 page, with no code sent to the app and no grant', async () => {
    const email = `fault-consent-${crypto.randomUUID()}@example.com`;
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge);
    await signIn(browser, path, email);
    const consent = await consentPage(browser, path);
    const { kv, fetcher } = kvFailing((operation, key) => operation === 'put' && key.startsWith('grant:'));
    const failing = new Browser(browser.origin, fetcher);
    for (const [name, value] of browser.cookies) failing.cookies.set(name, value);
    const response = await failing.postForm('/authorize', { ...consent, scope: 'mcp', decision: 'approve' });
    expect(kv.failed).toEqual([expect.stringMatching(/^put grant:/)]);
    expect(response.status).toBe(503);
    expect(response.headers.has('Location')).toBe(false);
    const html = await response.text();
    expect(html).toContain('Temporarily unavailable');
    expect(response.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(await grantsOf(email)).toBe(0);
  });

  it('code exchange: a failed grant write is a 503, and the code stays unredeemed', async () => {
    const { client, code, verifier } = await approvedCode();
    const { fetcher } = kvFailing((operation, key) => operation === 'put' && key.startsWith('grant:'));
    await expectJson503(await exchangeCode(client, code, verifier, fetcher));
    expect((await exchangeCode(client, code, verifier)).status).toBe(200);
  });

  it('code exchange: a failed token write is a 503; the code is then cleanly refused (400), no token works', async () => {
    const { client, code, verifier } = await approvedCode();
    const { fetcher } = kvFailing((operation, key) => operation === 'put' && key.startsWith('token:'));
    await expectJson503(await exchangeCode(client, code, verifier, fetcher));
    const retry = await exchangeCode(client, code, verifier);
    expect(retry.status).toBe(400);
    expect(await retry.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('code exchange: an unreachable redemption lock is a 503, and the code stays unredeemed', async () => {
    const { client, code, verifier } = await approvedCode();
    const fetcher = workerWith({ CODE_REDEMPTION: failingDurableObjects(bindings.CODE_REDEMPTION) });
    await expectJson503(await exchangeCode(client, code, verifier, fetcher));
    expect((await exchangeCode(client, code, verifier)).status).toBe(200);
  });

  it('refresh: a failed grant write is a 503, and the same refresh token still works', async () => {
    const { client, tokens } = await connect();
    const { fetcher } = kvFailing((operation, key) => operation === 'put' && key.startsWith('grant:'));
    await expectJson503(await refreshWith(client, tokens.refresh_token, fetcher));
    const retry = await refreshWith(client, tokens.refresh_token);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as Tokens).access_token).toEqual(expect.any(String));
  });

  it('registration: a failed write is a 503 and no client', async () => {
    const { kv, fetcher } = kvFailing((operation) => operation === 'put');
    const response = await send(
      '/oauth/register',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: ['http://127.0.0.1:1/cb'],
          token_endpoint_auth_method: 'none',
        }),
      },
      undefined,
      fetcher,
    );
    await expectJson503(response);
    expect(kv.failed).toEqual([expect.stringMatching(/^put client:/)]);
  });

  it('MCP: a failed token lookup is a 503, not a 401 that would send the user to sign in again', async () => {
    const { tokens } = await connect();
    const { fetcher } = kvFailing((operation, key) => operation === 'get' && key.startsWith('token:'));
    const { body, headers } = modernRequest('tools/list');
    await expectJson503(await mcpPost(body, { token: tokens.access_token, headers, fetcher }));
  });

  it('a remembered consent redeemed while the earlier grants cannot be listed: still 200, the earlier grant kept', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const first = await pkce();
    const path = authorizePath(client, first.challenge);
    await signIn(browser, path, `fault-replace-${crypto.randomUUID()}@example.com`);
    const { handle, offer } = await consentPage(browser, path);
    const approved = await browser.postForm('/authorize', {
      handle,
      offer,
      scope: 'mcp',
      decision: 'approve',
      remember: 'yes',
    });
    const firstCode = redirectOf(approved).searchParams.get('code') ?? '';
    const earlier = (await (await exchangeCode(client, firstCode, first.verifier)).json()) as Tokens;

    const second = await pkce();
    const skipped = await browser.get(authorizePath(client, second.challenge));
    const secondCode = redirectOf(skipped).searchParams.get('code') ?? '';
    const { kv, fetcher } = kvFailing((operation, key) => operation === 'list' && key.startsWith('grant:'));
    const response = await exchangeCode(client, secondCode, second.verifier, fetcher);
    expect(kv.failed).toEqual([expect.stringMatching(/^list grant:/)]);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Tokens).access_token).toBeTruthy();
    expect(await tokenStatus(earlier.access_token)).toBe(200);
  });

  it('sign-in: a failed session-key read is our 503 page, not signed in', async () => {
    const browser = new Browser();
    const csrf = hiddenField(await (await browser.get('/signin')).text(), 'csrf');
    // Without SESSION_SECRET (on a loopback host) the key is read from KV, once per isolate: it may be cached.
    const fetcher = workerWith({
      OAUTH_KV: failingKv(bindings.OAUTH_KV, () => true),
      SESSION_SECRET: undefined,
    });
    const failing = new Browser(browser.origin, fetcher);
    for (const [name, value] of browser.cookies) failing.cookies.set(name, value);
    const response = await failing.postForm('/signin', { csrf, email: 'ada@example.com', password: 'pw' });
    expect([303, 503]).toContain(response.status);
    if (response.status === 503) {
      expect(await response.text()).toContain('Temporarily unavailable');
      expect(failing.cookies.has('__Host-session')).toBe(false);
    }
  });
});

describe('a failing Durable Object', () => {
  it('GET /sse is a 503 when the session object cannot be reached', async () => {
    const { tokens } = await connect();
    const response = await send(
      '/sse',
      { headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'text/event-stream' } },
      undefined,
      workerWith({ SSE_SESSION: failingDurableObjects(bindings.SSE_SESSION) }),
    );
    await expectJson503(response);
  });

  it('POST /sse/message is a 503 when the session object cannot be reached', async () => {
    const { tokens } = await connect();
    const response = await send(
      '/sse/message?sessionId=0123456789abcdef0123456789abcdef',
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens.access_token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      },
      undefined,
      workerWith({ SSE_SESSION: failingDurableObjects(bindings.SSE_SESSION) }),
    );
    await expectJson503(response);
  });
});
