// Connected apps, end to end: one person in headless Chromium signs in, connects two real clients
// (the MCP SDK client and mcp-remote, as Claude Desktop runs it), sees both on /account and
// revokes them; and remembered consent across authorizations of the SDK client. The clients'
// own tokens are then tried at /mcp and /oauth/token, as the apps would.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import { ARTIFACTS_DIR, type LaunchedBrowser, launchBrowser } from './support/browser.ts';
import { type CallbackServer, MemoryOAuthProvider, startCallbackServer } from './support/oauth.ts';
import { freePort, type RunningServer, startServer } from './support/server.ts';
import { type StdioPeer, spawnStdioPeer } from './support/stdio.ts';

const PROXY = resolve('node_modules/mcp-remote/dist/proxy.js');
const BIN = resolve('node_modules/.bin');
const RECORD_URL = resolve('test/e2e/support/record-url.mjs');
/** `UPDATE_SCREENSHOTS=1` writes the README's screenshots; otherwise they go to test-results/. */
const SCREENSHOTS_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? resolve('docs/screenshots') : ARTIFACTS_DIR;
const CONSENT_HEADING = /^Allow .+ to use this server as you\?$/;

let server: RunningServer;
let callbacks: CallbackServer;

before(async () => {
  server = await startServer();
  callbacks = await startCallbackServer();
});

after(async () => {
  await callbacks?.close();
  await server?.stop();
});

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOTS_DIR, `${name}.png`), await page.screenshot({ fullPage: true }));
}

/** Runs `body` with a fresh Chromium page; on failure, keeps a screenshot of where it stopped. */
async function inChromium(label: string, body: (page: Page) => Promise<void>): Promise<void> {
  const browser: LaunchedBrowser = await launchBrowser();
  const page = await browser.context.newPage();
  try {
    await body(page);
  } catch (error) {
    await screenshot(page, `${label}-failure`).catch(() => {});
    throw error;
  } finally {
    await browser.close();
  }
}

/** Signs in with the demo form, starting from `/account` (which asks to sign in first). */
async function signInAt(page: Page, email: string): Promise<void> {
  await page.goto(`${server.url}/account`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();
}

/** The visible text of the page's main content. */
async function mainText(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user reads.
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ');
}

/**
 * Opens an authorization URL in the signed-in page and, when the consent page shows, answers
 * Allow (ticking "Remember my choice" if asked). Returns whether the page was shown, and the
 * URL the browser ended at (the app's callback).
 */
async function authorizeInPage(
  page: Page,
  url: string | URL,
  options: { remember?: boolean; screenshotAs?: string } = {},
): Promise<{ consentShown: boolean; callbackUrl: URL }> {
  const redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
  await page.goto(String(url), { waitUntil: 'commit' });
  if (page.url().startsWith(redirectUri)) return { consentShown: false, callbackUrl: new URL(page.url()) };
  await page.getByRole('heading', { level: 1, name: CONSENT_HEADING }).waitFor();
  if (options.remember) await page.getByLabel(/^Remember my choice/).check();
  if (options.screenshotAs) await screenshot(page, options.screenshotAs);
  const redirected = page.waitForURL((target) => target.href.startsWith(redirectUri), {
    waitUntil: 'commit',
  });
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await redirected;
  return { consentShown: true, callbackUrl: new URL(page.url()) };
}

/** Whether the consent page shows for `url` (not answered). */
async function consentShownFor(page: Page, url: URL): Promise<boolean> {
  const redirectUri = url.searchParams.get('redirect_uri') ?? '';
  await page.goto(url.href, { waitUntil: 'commit' });
  if (page.url().startsWith(redirectUri)) return false;
  const heading = page.getByRole('heading', { level: 1 });
  await heading.waitFor();
  return CONSENT_HEADING.test((await heading.textContent())?.trim() ?? '');
}

function transportFor(provider: MemoryOAuthProvider): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: provider });
}

/** The SDK client's first connect: 401, discovery, registration; returns the authorization URL. */
async function sdkAuthorizationUrl(provider: MemoryOAuthProvider): Promise<URL> {
  provider.authorizationUrl = undefined;
  const client = new Client({ name: 'e2e-account', version: '1.0.0' });
  await assert.rejects(client.connect(transportFor(provider)), UnauthorizedError);
  await client.close().catch(() => {});
  assert.ok(provider.authorizationUrl, 'the SDK asked to send the user to the authorization endpoint');
  return provider.authorizationUrl;
}

/** The SDK client through the consent page (or past it) in `page`, connected and able to call tools. */
async function connectSdkClient(
  page: Page,
  provider: MemoryOAuthProvider,
  options: { remember?: boolean; screenshotAs?: string; expectConsent?: boolean; scope?: string } = {},
): Promise<Client> {
  const url = await sdkAuthorizationUrl(provider);
  // A client configured to ask for exactly these scopes, not what the challenge names.
  if (options.scope) url.searchParams.set('scope', options.scope);
  const callback = callbacks.next();
  const seen = await authorizeInPage(page, url, options);
  assert.equal(seen.consentShown, options.expectConsent ?? true, 'whether the consent page was shown');
  const callbackUrl = await callback;
  assert.equal(callbackUrl.searchParams.get('state'), provider.expectedState);
  await transportFor(provider).finishAuth(callbackUrl.searchParams);
  const client = new Client({ name: 'e2e-account', version: '1.0.0' });
  await client.connect(transportFor(provider));
  return client;
}

async function add(client: Client): Promise<unknown> {
  return (await client.callTool({ name: 'add', arguments: { a: 23, b: 19 } })).content;
}

/** What an app sees with `accessToken` at /mcp: the status and the challenge. */
async function mcpWith(accessToken: string): Promise<{ status: number; challenge: string }> {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${accessToken}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  await response.body?.cancel();
  return { status: response.status, challenge: response.headers.get('WWW-Authenticate') ?? '' };
}

/** What an app gets when it refreshes: the status and the OAuth error. */
async function refreshWith(
  refreshToken: string,
  clientId: string,
): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
    }),
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, error: body.error };
}

function assertRevoked(seen: { status: number; challenge: string }) {
  assert.equal(seen.status, 401);
  assert.match(
    seen.challenge,
    new RegExp(`resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`),
  );
}

/** mcp-remote with a `$BROWSER` that records the URLs it opens, for the test to open in its page. */
interface Desktop {
  proxy: StdioPeer;
  configDir: string;
  /** Waits for the next URL mcp-remote opened. */
  nextOpened: () => Promise<string>;
  /** The tokens mcp-remote saved. */
  savedTokens: () => { access_token: string; refresh_token: string };
  clientId: () => string;
  stop: () => Promise<void>;
}

async function startMcpRemote(): Promise<Desktop> {
  const configDir = mkdtempSync(join(tmpdir(), 'e2e-account-mcp-remote-'));
  const openedDir = mkdtempSync(join(tmpdir(), 'e2e-account-opened-'));
  const callbackPort = await freePort();
  const proxy = spawnStdioPeer(
    process.execPath,
    [PROXY, `${server.url}/mcp`, String(callbackPort), '--host', '127.0.0.1'],
    {
      ...process.env,
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      BROWSER: RECORD_URL,
      E2E_OPENED_DIR: openedDir,
      MCP_REMOTE_CONFIG_DIR: configDir,
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
    },
  );
  let taken = 0;
  const stored = (suffix: string) => {
    const [store] = readdirSync(configDir).filter((name) => name.startsWith('mcp-remote-'));
    assert.ok(store, 'mcp-remote keeps its state in MCP_REMOTE_CONFIG_DIR');
    const [file] = readdirSync(join(configDir, store)).filter((name) => name.endsWith(suffix));
    assert.ok(file, `mcp-remote saved its *${suffix}`);
    return JSON.parse(readFileSync(join(configDir, store, file), 'utf8'));
  };
  return {
    proxy,
    configDir,
    nextOpened: async () => {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const files = readdirSync(openedDir).sort();
        const file = files[taken];
        if (file) {
          taken++;
          return readFileSync(join(openedDir, file), 'utf8');
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`mcp-remote opened no browser.\n--- mcp-remote stderr ---\n${proxy.stderr()}`);
    },
    savedTokens: () => stored('_tokens.json'),
    clientId: () => stored('_client_info.json').client_id,
    stop: async () => {
      await proxy.stop();
      rmSync(configDir, { recursive: true, force: true });
      rmSync(openedDir, { recursive: true, force: true });
    },
  };
}

describe('connected apps in Chromium, with the SDK client and mcp-remote', { timeout: 300_000 }, () => {
  test('both apps listed on /account; revoking one stops only it; Revoke all stops both', async () => {
    await inChromium('account', async (page) => {
      await signInAt(page, 'account-owner@example.com');
      assert.match(await mainText(page), /No app is connected to your account\./);

      // The SDK client, through the consent page in this (signed-in) browser.
      const provider = new MemoryOAuthProvider(callbacks.redirectUri, 'SDK notes app');
      const sdk = await connectSdkClient(page, provider);
      assert.deepEqual(await add(sdk), [{ type: 'text', text: '42' }]);

      // mcp-remote, as Claude Desktop runs it: it opens the authorization URL with $BROWSER.
      const desktop = await startMcpRemote();
      try {
        const opened = await desktop.nextOpened();
        const seen = await authorizeInPage(page, opened, { remember: true });
        assert.equal(seen.consentShown, true);
        await desktop.proxy.waitForStderr('Proxy established successfully', 120_000);
        await desktop.proxy.initialize(60_000);
        const desktopAdd = () =>
          desktop.proxy.request('tools/call', { name: 'add', arguments: { a: 23, b: 19 } }, 60_000);
        assert.deepEqual((await desktopAdd()).result?.content, [{ type: 'text', text: '42' }]);

        // Both on the account page, with what the user needs to recognise them.
        await page.goto(`${server.url}/account`);
        const listed = await mainText(page);
        assert.match(listed, /SDK notes app/);
        assert.match(listed, /MCP CLI Proxy/);
        assert.equal((listed.match(/Self-registered: its name is not verified\./g) ?? []).length, 2);
        assert.equal((listed.match(/Access went to 127\.0\.0\.1:\d+/g) ?? []).length, 2);
        assert.match(listed, /Use the tools of this server as you mcp/);
        // Most recent first; consent for mcp-remote was remembered, for the SDK client not.
        assert.match(
          listed,
          /MCP CLI Proxy Self-registered.*? Consent Remembered in this browser.*?SDK notes app .*? Consent Asked each time it connects/,
        );
        for (const name of ['Revoke SDK notes app', 'Revoke MCP CLI Proxy']) {
          assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
        }
        assert.equal(await page.getByRole('button', { name: 'Revoke all' }).count(), 1);
        assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 1);
        await screenshot(page, 'account');

        // Revoke the SDK client: its tokens stop working at once; mcp-remote still calls tools.
        const sdkTokens = provider.tokens();
        assert.ok(sdkTokens?.refresh_token, 'the SDK client holds a refresh token');
        const sdkClientId = provider.clientInformation()?.client_id ?? '';
        await page.getByRole('button', { name: 'Revoke SDK notes app' }).click();
        await page.getByText('The app was disconnected.').waitFor();
        assert.doesNotMatch(await mainText(page), /SDK notes app/);
        assertRevoked(await mcpWith(sdkTokens.access_token));
        assert.deepEqual(await refreshWith(sdkTokens.refresh_token, sdkClientId), {
          status: 400,
          error: 'invalid_grant',
        });
        await assert.rejects(add(sdk));
        await sdk.close().catch(() => {});
        assert.deepEqual((await desktopAdd()).result?.content, [{ type: 'text', text: '42' }]);

        // Revoke all: mcp-remote's tokens stop working too, and it has to ask again.
        const desktopTokens = desktop.savedTokens();
        await page.getByRole('button', { name: 'Revoke all' }).click();
        await page.getByText('Every app was disconnected.').waitFor();
        assert.match(await mainText(page), /No app is connected to your account\./);
        assertRevoked(await mcpWith(desktopTokens.access_token));
        assert.deepEqual(await refreshWith(desktopTokens.refresh_token, desktop.clientId()), {
          status: 400,
          error: 'invalid_grant',
        });
        // Its next call is refused; it opens the authorization page again, and that page asks,
        // although this browser still remembers approving it.
        desktopAdd().catch(() => {}); // it waits for a sign-in that this test does not finish
        const reopened = await desktop.nextOpened();
        assert.equal(
          await consentShownFor(page, new URL(reopened)),
          true,
          'mcp-remote is sent to consent again',
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${message}\n--- mcp-remote stderr ---\n${desktop.proxy.stderr()}`, { cause: error });
      } finally {
        await desktop.stop();
      }
    });
  });
});

describe('remembered consent in Chromium, with the SDK client', { timeout: 300_000 }, () => {
  test('skips the page for the same app; a wider scope, a revoke or another user bring it back', async () => {
    await inChromium('remembered-consent', async (page) => {
      await signInAt(page, 'remembers@example.com');
      const provider = new MemoryOAuthProvider(callbacks.redirectUri, 'Remembered SDK app');
      const first = await connectSdkClient(page, provider, {
        remember: true,
        screenshotAs: 'consent-remember',
        scope: 'mcp',
      });
      assert.deepEqual(await add(first), [{ type: 'text', text: '42' }]);
      await first.close();

      // The same app asks again (its tokens lost): no consent page, and it works.
      provider.invalidateCredentials('tokens');
      const second = await connectSdkClient(page, provider, { expectConsent: false, scope: 'mcp' });
      assert.deepEqual(await add(second), [{ type: 'text', text: '42' }]);
      await second.close();

      await page.goto(`${server.url}/account`);
      assert.match(await mainText(page), /Remembered in this browser: it connects again without asking/);

      // More scopes than approved: the page again.
      provider.invalidateCredentials('tokens');
      const base = await sdkAuthorizationUrl(provider);
      base.searchParams.set('scope', 'mcp');
      const wider = new URL(base);
      wider.searchParams.set('scope', 'mcp notes:read');
      assert.equal(await consentShownFor(page, wider), true, 'a wider scope shows the consent page');

      // Revoked on /account: the page again, though this browser still holds the approval.
      await page.goto(`${server.url}/account`);
      await page.getByRole('button', { name: 'Revoke Remembered SDK app' }).click();
      await page.getByText('The app was disconnected.').waitFor();
      assert.equal(await consentShownFor(page, base), true, 'after a revoke the consent page shows');

      // Another user in the same browser: the page.
      await page.goto(`${server.url}/account`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${server.url}/`);
      await signInAt(page, 'someone-else@example.com');
      assert.equal(await consentShownFor(page, base), true, 'another user sees the consent page');
      const cookies = await page.context().cookies(server.url);
      assert.ok(
        cookies.some((cookie) => cookie.name === '__Host-oauth-approvals'),
        'the first user’s approval is still in the browser',
      );
    });
  });
});
