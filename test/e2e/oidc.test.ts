// Sign-in through a real OpenID Provider (`oidc-provider` on 127.0.0.1) as the upstream identity
// provider: Chromium plays the user on our pages and on the provider's, the MCP SDK client and
// mcp-remote call `whoami`. Then the allowlist, a user who cancels at the provider, the
// provider's tokens refreshed with ours, and a grant revoked when the provider revoked access or
// removed the account.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { type AuthorizeOptions, authorizeInBrowser, browserCommand } from './support/browser.ts';
import { type CallbackServer, MemoryOAuthProvider, startCallbackServer } from './support/oauth.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from './support/oidc-provider.ts';
import { freePort, type RunningServer, startServer } from './support/server.ts';
import { spawnStdioPeer } from './support/stdio.ts';

const IDP_NAME = 'Test IdP';

let idp: TestOpenIdProvider;
let server: RunningServer;
let callbacks: CallbackServer;

before(async () => {
  idp = await startOpenIdProvider();
  server = await startServer({
    vars: {
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OIDC_DISPLAY_NAME: IDP_NAME,
      ALLOWED_EMAIL_DOMAINS: 'example.com',
    },
  });
  idp.configure(`${server.url}/signin/oidc/callback`);
  callbacks = await startCallbackServer();
});

after(async () => {
  await callbacks?.close();
  await server?.stop();
  await idp?.close();
});

function transportFor(provider: MemoryOAuthProvider) {
  return new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: provider });
}

/** The SDK client's first connect: 401, discovery, registration; the URL to send the user to. */
async function authorizationUrlFor(provider: MemoryOAuthProvider): Promise<URL> {
  const client = new Client({ name: 'e2e-oidc', version: '1.0.0' });
  await assert.rejects(client.connect(transportFor(provider)), UnauthorizedError);
  await client.close().catch(() => {});
  assert.ok(provider.authorizationUrl, 'the SDK asked to send the user to the authorization endpoint');
  return provider.authorizationUrl;
}

/** Signs in through the provider as `login` in Chromium, and returns the app's callback. */
async function authorizeWithIdp(
  provider: MemoryOAuthProvider,
  upstream: Partial<AuthorizeOptions['upstream']>,
) {
  const url = await authorizationUrlFor(provider);
  const callback = callbacks.next();
  const seen = await authorizeInBrowser(url, {
    email: 'unused@example.com',
    upstream: { name: IDP_NAME, ...upstream },
    label: `oidc-${upstream?.login ?? 'cancel'}`,
  });
  assert.equal(seen.signInHeading, 'Sign in');
  // Consent comes before the provider: the user is not known yet.
  assert.match(seen.consentText, new RegExp(`You sign in with\\s+${IDP_NAME}, after you allow`));
  const callbackUrl = await callback;
  assert.equal(callbackUrl.searchParams.get('state'), provider.expectedState);
  assert.equal(callbackUrl.searchParams.get('iss'), server.url);
  return { callbackUrl, seen };
}

async function whoami(provider: MemoryOAuthProvider) {
  const client = new Client({ name: 'e2e-oidc', version: '1.0.0' });
  await client.connect(transportFor(provider));
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal(result.isError ?? false, false, JSON.stringify(result));
    return result.structuredContent as { userId: string; email: string; name: string; provider: string };
  } finally {
    await client.close();
  }
}

/** Signs in as `login`, redeems the code, and returns the SDK's OAuth provider with the tokens. */
async function connectAs(login: string): Promise<MemoryOAuthProvider> {
  const provider = new MemoryOAuthProvider(callbacks.redirectUri, `OIDC client (${login})`);
  const { callbackUrl } = await authorizeWithIdp(provider, { login });
  assert.ok(callbackUrl.searchParams.get('code'), `a code in ${callbackUrl.href}`);
  await transportFor(provider).finishAuth(callbackUrl.searchParams);
  assert.ok(provider.tokens()?.access_token);
  return provider;
}

async function refresh(provider: MemoryOAuthProvider): Promise<Response> {
  return fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: provider.tokens()?.refresh_token ?? '',
      client_id: provider.clientInformation()?.client_id ?? '',
      // What the SDK client asked for: the MCP URL it connects to (the 401's metadata names it).
      resource: `${server.url}/mcp`,
    }),
  });
}

/** The provider refused access: our refresh is `invalid_grant`, and the last access token gets 401. */
async function assertGrantGone(provider: MemoryOAuthProvider, accessToken: string): Promise<void> {
  const refused = await refresh(provider);
  assert.equal(refused.status, 400);
  assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
  const mcp = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${accessToken}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  assert.equal(mcp.status, 401, 'the grant and its access token are gone');
}

describe('OpenID Connect sign-in through a real provider', { timeout: 240_000 }, () => {
  test('the SDK client: consent, sign in at the provider, whoami is that user', async () => {
    const provider = await connectAs('ada');
    assert.deepEqual(await whoami(provider), {
      userId: 'oidc:ada',
      email: 'ada@example.com',
      name: 'Test user ada',
      provider: 'oidc',
    });
  });

  test('mcp-remote (Claude Desktop): signs in through the provider and calls whoami', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'e2e-mcp-remote-oidc-'));
    const browser = browserCommand({
      email: 'unused@example.com',
      upstream: { name: IDP_NAME, login: 'grace' },
      label: 'mcp-remote-oidc',
    });
    const callbackPort = await freePort();
    const proxy = spawnStdioPeer(
      process.execPath,
      [
        resolve('node_modules/mcp-remote/dist/proxy.js'),
        `${server.url}/mcp`,
        String(callbackPort),
        '--host',
        '127.0.0.1',
      ],
      {
        ...process.env,
        ...browser.env,
        PATH: `${resolve('node_modules/.bin')}:${process.env.PATH ?? ''}`,
        MCP_REMOTE_CONFIG_DIR: configDir,
        DISPLAY: '',
        WAYLAND_DISPLAY: '',
      },
    );
    try {
      await proxy.waitForStderr('Proxy established successfully', 150_000);
      const [report] = await browser.waitForReports(1, 60_000);
      assert.ok(report?.ok, `the browser helper signed in: ${report?.error}`);
      await proxy.initialize(60_000);
      const me = await proxy.request('tools/call', { name: 'whoami', arguments: {} }, 60_000);
      assert.equal(me.error, undefined, JSON.stringify(me.error));
      assert.deepEqual(me.result?.structuredContent, {
        userId: 'oidc:grace',
        email: 'grace@example.com',
        name: 'Test user grace',
        provider: 'oidc',
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}\n--- mcp-remote stderr ---\n${proxy.stderr()}`, { cause: error });
    } finally {
      await proxy.stop();
      await browser.cleanup();
      rmSync(configDir, { recursive: true, force: true });
    }
  });

  test('a user outside the allowlist: a clear page, no grant, and the app gets access_denied', async () => {
    const provider = new MemoryOAuthProvider(callbacks.redirectUri, 'OIDC client (outsider)');
    const { callbackUrl, seen } = await authorizeWithIdp(provider, { login: 'eve+evil.test' });
    assert.equal(seen.stoppedAt?.heading, 'This account may not use this server');
    assert.match(
      seen.stoppedAt?.text ?? '',
      /as eve@evil\.test, and this server does not let that account in/,
    );
    assert.equal(callbackUrl.searchParams.get('error'), 'access_denied');
    assert.equal(callbackUrl.searchParams.get('code'), null);
  });

  test('an unverified email does not pass an email allowlist', async () => {
    const provider = new MemoryOAuthProvider(callbacks.redirectUri, 'OIDC client (unverified)');
    const { callbackUrl, seen } = await authorizeWithIdp(provider, { login: 'unverified' });
    assert.equal(seen.stoppedAt?.heading, 'This account may not use this server');
    assert.match(seen.stoppedAt?.text ?? '', /did not confirm an email address/);
    assert.equal(callbackUrl.searchParams.get('error'), 'access_denied');
  });

  test('the user cancels at the provider (error=access_denied): the app gets access_denied', async () => {
    const provider = new MemoryOAuthProvider(callbacks.redirectUri, 'OIDC client (cancel)');
    const { callbackUrl, seen } = await authorizeWithIdp(provider, { cancel: true });
    assert.equal(seen.stoppedAt, undefined, 'straight back to the app');
    assert.equal(callbackUrl.searchParams.get('error'), 'access_denied');
    assert.equal(callbackUrl.searchParams.get('code'), null);
  });

  test("refreshing our token refreshes the provider's expired one; a revoked one revokes the grant", async () => {
    const provider = await connectAs('linus');
    const before = idp.refreshGrants();

    const refreshed = await refresh(provider);
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    assert.equal(idp.refreshGrants(), before + 1, 'our refresh refreshed the upstream token');
    const tokens = (await refreshed.json()) as { access_token: string; refresh_token: string };
    provider.saveTokens({ ...provider.tokens(), ...tokens, token_type: 'Bearer' });
    assert.equal((await whoami(provider)).userId, 'oidc:linus');

    assert.ok((await idp.revokeRefreshTokens()) > 0, 'the provider had refresh tokens to revoke');
    await assertGrantGone(provider, tokens.access_token);

    const again = await connectAs('linus');
    assert.equal((await whoami(again)).userId, 'oidc:linus', 'signing in again works');
  });

  test('an account removed at the provider, with no provider refresh token (as Google by default): the next refresh fails and MCP answers 401', async () => {
    idp.withoutRefreshTokens('hopper');
    const provider = await connectAs('hopper');
    const before = idp.refreshGrants();

    const refreshed = await refresh(provider);
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    assert.equal(idp.refreshGrants(), before, 'no provider refresh token to use: UserInfo was asked');
    const tokens = (await refreshed.json()) as { access_token: string; refresh_token: string };
    provider.saveTokens({ ...provider.tokens(), ...tokens, token_type: 'Bearer' });
    assert.equal((await whoami(provider)).userId, 'oidc:hopper');

    idp.removeAccount('hopper');
    await assertGrantGone(provider, tokens.access_token);
  });
});
