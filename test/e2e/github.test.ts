// Sign-in through GitHub, against a loopback stand-in that speaks GitHub's OAuth app flow and user
// API (GitHub has no offline server), reached through GITHUB_BASE_URL as GitHub Enterprise Server
// is. Chromium plays the user; the SDK client calls whoami. Organization allowlist, a revoked
// GitHub token, and the sign-in from the start page that is not part of an authorization.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { authorizeInBrowser, launchBrowser } from './support/browser.ts';
import { type GithubStandIn, type GithubUser, startGithubStandIn } from './support/github-stand-in.ts';
import { type CallbackServer, MemoryOAuthProvider, startCallbackServer } from './support/oauth.ts';
import { type RunningServer, startServer } from './support/server.ts';

const NAME = 'GitHub Enterprise';

const octocat: GithubUser = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  emails: [
    { email: 'octocat@unverified.example', primary: false, verified: false },
    { email: 'Octocat@Acme.example', primary: true, verified: true },
  ],
  orgs: [
    { id: 3001, login: 'other' },
    { id: 9919, login: 'ACME' },
  ],
};

const outsider: GithubUser = {
  id: 9,
  login: 'outsider',
  name: null,
  emails: [{ email: 'outsider@elsewhere.example', primary: true, verified: true }],
  orgs: [{ id: 3001, login: 'other' }],
};

let github: GithubStandIn;
let server: RunningServer;
let callbacks: CallbackServer;

before(async () => {
  github = await startGithubStandIn();
  server = await startServer({
    vars: {
      GITHUB_CLIENT_ID: github.clientId,
      GITHUB_CLIENT_SECRET: github.clientSecret,
      GITHUB_BASE_URL: github.baseUrl,
      // ACME by its id: a renamed organization's old login could be registered by anyone.
      ALLOWED_GITHUB_ORGS: '9919',
    },
  });
  github.configure(`${server.url}/signin/github/callback`);
  callbacks = await startCallbackServer();
});

after(async () => {
  await callbacks?.close();
  await server?.stop();
  await github?.close();
});

function transportFor(provider: MemoryOAuthProvider) {
  return new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: provider });
}

async function authorize(user: GithubUser) {
  github.signInAs(user);
  const provider = new MemoryOAuthProvider(callbacks.redirectUri, `GitHub client (${user.login})`);
  const client = new Client({ name: 'e2e-github', version: '1.0.0' });
  await assert.rejects(client.connect(transportFor(provider)), UnauthorizedError);
  await client.close().catch(() => {});
  assert.ok(provider.authorizationUrl);
  const callback = callbacks.next();
  const seen = await authorizeInBrowser(provider.authorizationUrl, {
    email: 'unused@example.com',
    upstream: { name: NAME },
    label: `github-${user.login}`,
  });
  assert.match(seen.consentText, new RegExp(`You sign in with\\s+${NAME}, after you allow`));
  const callbackUrl = await callback;
  assert.equal(callbackUrl.searchParams.get('state'), provider.expectedState);
  return { provider, callbackUrl, seen };
}

async function whoami(provider: MemoryOAuthProvider) {
  const client = new Client({ name: 'e2e-github', version: '1.0.0' });
  await client.connect(transportFor(provider));
  try {
    return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent;
  } finally {
    await client.close();
  }
}

describe('GitHub sign-in (through a loopback stand-in for GitHub)', { timeout: 180_000 }, () => {
  test('a member of an allowed organization: whoami is the GitHub user, with the verified email', async () => {
    const { provider, callbackUrl } = await authorize(octocat);
    assert.ok(callbackUrl.searchParams.get('code'));
    await transportFor(provider).finishAuth(callbackUrl.searchParams);
    assert.deepEqual(await whoami(provider), {
      userId: 'github:583231',
      email: 'octocat@acme.example',
      name: 'The Octocat',
      provider: 'github',
    });
  });

  test('not a member of an allowed organization: refused, and the app gets access_denied', async () => {
    const { callbackUrl, seen } = await authorize(outsider);
    assert.equal(seen.stoppedAt?.heading, 'This account may not use this server');
    assert.match(seen.stoppedAt?.text ?? '', /with GitHub Enterprise as outsider@elsewhere\.example/);
    assert.equal(callbackUrl.searchParams.get('error'), 'access_denied');
    assert.equal(callbackUrl.searchParams.get('code'), null);
  });

  test('a GitHub token revoked at GitHub: our refresh fails with invalid_grant and the grant is gone', async () => {
    const { provider, callbackUrl } = await authorize(octocat);
    await transportFor(provider).finishAuth(callbackUrl.searchParams);
    const refresh = () =>
      fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: provider.tokens()?.refresh_token ?? '',
          client_id: provider.clientInformation()?.client_id ?? '',
        }),
      });
    const first = await refresh();
    assert.equal(first.status, 200, 'the GitHub token still works: the refresh succeeds');
    const tokens = (await first.json()) as { access_token: string; refresh_token: string };
    provider.saveTokens({ ...provider.tokens(), ...tokens, token_type: 'Bearer' });

    assert.ok(github.revokeTokensOf('octocat') > 0);
    const refused = await refresh();
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    const mcp = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.access_token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    assert.equal(mcp.status, 401);
  });

  test('"Sign in" on the start page: through GitHub and back, signed in, no authorization involved', async () => {
    github.signInAs(octocat);
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(server.url);
      await page.getByRole('link', { name: 'Sign in', exact: true }).click();
      await page.getByRole('link', { name: `Continue with ${NAME}` }).click();
      await page.getByRole('button', { name: 'Authorize' }).click();
      await page.waitForURL(`${server.url}/`);
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user reads.
      const header = await page.locator('header').innerText();
      assert.match(header, /Signed in as\s+octocat@acme\.example/);
    } finally {
      await browser.close();
    }
  });

  test('a sign-in link whose return_to becomes //evil.example after parsing: back on this server, never there', async () => {
    github.signInAs(octocat);
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      // Any request to evil.example is recorded and answered here (nothing leaves the machine).
      const offSite: string[] = [];
      await page.route(
        (url) => url.hostname === 'evil.example',
        (route) => {
          offSite.push(route.request().url());
          return route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>evil.example</h1>' });
        },
      );
      const returnTo = '/.//evil.example/x';
      await page.goto(`${server.url}/signin/github?${new URLSearchParams({ return_to: returnTo })}`);
      await page.getByRole('button', { name: 'Authorize' }).click();
      await page.waitForURL((url) => url.origin === server.url || url.hostname === 'evil.example');
      await page.waitForLoadState('load');
      assert.deepEqual(offSite, [], 'the browser never went to evil.example');
      assert.equal(page.url(), `${server.url}/`);
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user reads.
      const header = await page.locator('header').innerText();
      assert.match(header, /Signed in as\s+octocat@acme\.example/);
    } finally {
      await browser.close();
    }
  });
});
