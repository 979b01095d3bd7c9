import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../../../src/auth/env';
import type { OidcVars } from '../../../src/auth/sign-in/providers/oidc';
import { Browser, type Fetcher, hiddenField } from '../../support/browser';
import { FakeOidcProvider } from '../../support/fake-oidc';
import { answerOf, type JsonRpcResponse, LEGACY_VERSION, mcpPost, modernRequest } from '../../support/mcp';
import {
  approveWithProvider,
  authorizePath,
  consentPage,
  decide,
  exchangeCode,
  pkce,
  redirectOf,
  registerClient,
  signIn,
  type Tokens,
} from '../../support/oauth';
import { answerUpstreams } from '../../support/upstreams';
import { workerOn } from '../../support/worker';

// `profile` against the in-Worker OpenID Connect stand-in (test/support/fake-oidc.ts), through
// MCP, with grants made by real sign-ins (OIDC, or the demo sign-in that then links OIDC).

const ISSUER = 'https://idp.test';
const CLIENT_ID = 'mcp-server-client';

const worker: Fetcher = workerOn({
  ...env,
  OIDC_ISSUER: ISSUER,
  OIDC_CLIENT_ID: CLIENT_ID,
  OIDC_CLIENT_SECRET: 'client-secret',
  OIDC_DISPLAY_NAME: 'Acme SSO',
} as AppEnv & OidcVars);

let idp: FakeOidcProvider;

beforeAll(async () => {
  idp = await FakeOidcProvider.create(ISSUER, CLIENT_ID, {
    sub: 'user-123',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
  });
});

beforeEach(() => {
  idp.reset();
  answerUpstreams({ [ISSUER]: idp });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The provider's callback, after the Worker sent the browser to `providerUrl`. */
function providerSignsIn(browser: Browser, providerUrl: URL): Promise<Response> {
  idp.nonce = providerUrl.searchParams.get('nonce') ?? '';
  const state = providerUrl.searchParams.get('state') ?? '';
  return browser.get(
    `/signin/oidc/callback?${new URLSearchParams({ iss: ISSUER, code: 'the-code', state })}`,
  );
}

async function oidcApp(): Promise<{ token: string }> {
  const browser = new Browser(undefined, worker);
  const { client, verifier, providerUrl } = await approveWithProvider(browser, 'oidc');
  const done = await providerSignsIn(browser, providerUrl);
  const code = redirectOf(done).searchParams.get('code') ?? '';
  const tokens = (await (await exchangeCode(client, code, verifier, worker)).json()) as Tokens;
  return { token: tokens.access_token };
}

async function demoApp(): Promise<{ token: string; browser: Browser }> {
  const browser = new Browser(undefined, worker);
  const client = await registerClient();
  const { verifier, challenge } = await pkce();
  const path = authorizePath(client, challenge);
  await signIn(browser, path, `grace-${crypto.randomUUID().slice(0, 8)}@example.com`);
  const code = redirectOf(
    await decide(browser, await consentPage(browser, path), 'approve'),
  ).searchParams.get('code');
  const tokens = (await (await exchangeCode(client, code ?? '', verifier, worker)).json()) as Tokens;
  return { token: tokens.access_token, browser };
}

async function profile(token: string, legacy = false): Promise<JsonRpcResponse> {
  if (legacy) {
    return answerOf(
      await mcpPost(
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'profile', arguments: {} } },
        { token, headers: { 'MCP-Protocol-Version': LEGACY_VERSION }, fetcher: worker },
      ),
    );
  }
  const { body, headers } = modernRequest('tools/call', { name: 'profile', arguments: {} });
  return answerOf(await mcpPost(body, { token, headers, fetcher: worker }));
}

function textOf(answer: JsonRpcResponse): string {
  return (answer.result?.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? '';
}

async function tokenWorks(token: string): Promise<boolean> {
  const { body, headers } = modernRequest('tools/list');
  return (await mcpPost(body, { token, headers, fetcher: worker })).status === 200;
}

describe('profile', () => {
  it("returns the provider's UserInfo for the user, asked with the grant's access token", async () => {
    const { token } = await oidcApp();
    const answer = await profile(token);
    expect(answer.result?.structuredContent).toEqual({
      sub: 'user-123',
      claims: { sub: 'user-123', email: 'ada@example.com', name: 'Ada Lovelace', email_verified: true },
    });
    expect(textOf(answer)).toContain('Your profile at Acme SSO:');
    expect(idp.seen.at(-1)).toBe('GET /userinfo (upstream-access-token)');
  });

  it('an expired access token: a message telling the user to reconnect, and the provider is not asked', async () => {
    idp.accessTokenLifetime = 0;
    const { token } = await oidcApp();
    idp.seen.length = 0;
    const answer = await profile(token);
    expect(answer.result?.isError).toBe(true);
    expect(textOf(answer)).toBe(
      'Your Acme SSO access for this connection has expired, and it can only be renewed when the app renews its own access to this server. Tell the user to reconnect the app to this server (sign in with Acme SSO again), then try again.',
    );
    expect(idp.seen).toEqual([]);
  });

  it('UserInfo refuses the token (401): the grant is revoked, and the message says to reconnect', async () => {
    const { token } = await oidcApp();
    idp.userInfo = 401;
    const answer = await profile(token);
    expect(textOf(answer)).toContain('so this connection to the server has been ended');
    expect(await tokenWorks(token)).toBe(false);
  });

  it('a demo user links the OpenID Connect account through the page, and then profile works', async () => {
    const app = await demoApp();
    const refused = await profile(app.token, true);
    const path = /http:\/\/localhost(\/link\/oidc\?ticket=\S+)/.exec(textOf(refused))?.[1];
    expect(path, textOf(refused)).toBeDefined();
    const page = await app.browser.get(path ?? '');
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(page.headers.get('Content-Security-Policy')).toContain(`form-action 'self' ${ISSUER}`);
    const started = await app.browser.postForm('/link/oidc', {
      csrf: hiddenField(html, 'csrf'),
      ticket: hiddenField(html, 'ticket'),
    });
    expect(started.status).toBe(303);
    const linked = await providerSignsIn(app.browser, new URL(started.headers.get('Location') ?? ''));
    expect(linked.status, await linked.clone().text()).toBe(200);
    const answer = await profile(app.token);
    expect(answer.result?.structuredContent).toMatchObject({ sub: 'user-123' });
    expect(idp.seen.at(-1)).toBe('GET /userinfo (upstream-access-token)');
  });
});
