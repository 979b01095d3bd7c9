// Tools that act upstream as the signed-in user (src/features/github, src/features/profile,
// src/tools/support/upstream.ts), end to end: the real `wrangler dev` with GitHub (the loopback
// stand-in, through GITHUB_BASE_URL) and OpenID Connect (`oidc-provider`) both configured, the
// SDK client as a 2026-07-28 app that can ask the user (form and URL elicitation), and Chromium
// playing the user. Repositories listed page by page, an issue opened only after the user says
// yes, profile reading the provider's UserInfo, an expired upstream token renewed by the app's
// refresh, a token the provider no longer accepts ending the grant, and a demo user linking a
// GitHub account through the URL elicitation's page (and another user's browser that cannot).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientOptions, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.ts';
import { type GithubStandIn, type GithubUser, startGithubStandIn } from './support/github-stand-in.ts';
import { NotesApp } from './support/notes-app.ts';
import { type CallbackServer, startCallbackServer } from './support/oauth.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from './support/oidc-provider.ts';
import { type RunningServer, startServer } from './support/server.ts';

const GITHUB = 'GitHub Enterprise';
const IDP = 'Test IdP';

/** A 2026-07-28 app that can show the user a question (form) and open a page for them (URL). */
const MODERN: ClientOptions = {
  versionNegotiation: { mode: { pin: '2026-07-28' } },
  capabilities: { elicitation: { form: {}, url: {} } },
};

function githubUser(id: number, login: string, repositories: number): GithubUser {
  return {
    id,
    login,
    name: null,
    emails: [{ email: `${login}@example.com`, primary: true, verified: true }],
    orgs: [],
    repositories: Array.from({ length: repositories }, (_, index) => ({
      name: `repo-${index + 1}`,
      private: index % 2 === 1,
    })),
  };
}

/** 35 repositories: a full page of 30, and 5 on the second. */
const octocat = githubUser(583231, 'octocat', 35);
/** Whose GitHub token stops working. */
const mona = githubUser(1001, 'mona', 2);
/** The GitHub account a demo user links. */
const linus = githubUser(1002, 'linus', 3);

let github: GithubStandIn;
let idp: TestOpenIdProvider;
let server: RunningServer;
let callbacks: CallbackServer;
const apps: NotesApp[] = [];

before(async () => {
  [github, idp, callbacks] = await Promise.all([
    startGithubStandIn(),
    startOpenIdProvider(),
    startCallbackServer(),
  ]);
  server = await startServer({
    vars: {
      GITHUB_CLIENT_ID: github.clientId,
      GITHUB_CLIENT_SECRET: github.clientSecret,
      GITHUB_BASE_URL: github.baseUrl,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OIDC_DISPLAY_NAME: IDP,
    },
  });
  github.configure(`${server.url}/signin/github/callback`);
  idp.configure(`${server.url}/signin/oidc/callback`);
});

after(async () => {
  for (const app of apps) await app.close();
  await callbacks?.close();
  await server?.stop();
  await github?.close();
  await idp?.close();
});

/** What "the user" answers the app's questions with, and every question they were asked. */
interface User {
  questions: ElicitRequest['params'][];
  /** The answer to the next form question (a confirmation). */
  answer: ElicitResult;
  /** What the user does with a page the app opens for them (URL elicitation), then the answer. */
  openPage: (url: string) => Promise<ElicitResult>;
}

/** A 2026-07-28 app connected through `upstream` (or the demo sign-in as `email`), and its user. */
async function connectApp(
  name: string,
  sign: { upstream: { name: string; login?: string } } | { email: string },
): Promise<{ app: NotesApp; user: User }> {
  const user: User = {
    questions: [],
    answer: { action: 'decline' },
    openPage: async () => ({ action: 'decline' }),
  };
  const app = new NotesApp(server.url, callbacks, name, MODERN);
  app.onClient = (client) =>
    client.setRequestHandler('elicitation/create', async (request) => {
      user.questions.push(request.params);
      return request.params.mode === 'url' ? user.openPage(request.params.url) : user.answer;
    });
  apps.push(app);
  const label = `upstream-${name.replace(/\W+/g, '-')}`;
  if ('upstream' in sign) await app.signIn('mcp', 'unused@example.com', label, sign.upstream);
  else await app.signIn('mcp', sign.email, label);
  assert.equal(app.client?.getNegotiatedProtocolVersion(), '2026-07-28');
  return { app, user };
}

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as Array<{ text?: string }>).map((item) => item.text ?? '').join('\n');
}

/** A tool call that must succeed; its structured result. */
async function ok<T>(app: NotesApp, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await app.call(name, args);
  assert.equal(result.isError ?? false, false, `${name}: ${textOf(result)}`);
  return result.structuredContent as T;
}

/** Our token endpoint's answer to a refresh of the app's token (as the SDK client sends it). */
function refresh(app: NotesApp): Promise<Response> {
  return fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: app.provider.tokens()?.refresh_token ?? '',
      client_id: app.provider.clientInformation()?.client_id ?? '',
      resource: `${server.url}/mcp`,
    }),
  });
}

/** The app refreshes its token (as it does before its hour is up) and reconnects with the new one. */
async function refreshed(app: NotesApp): Promise<void> {
  const response = await refresh(app);
  assert.equal(response.status, 200, await response.clone().text());
  const tokens = (await response.json()) as { access_token: string; refresh_token: string };
  app.provider.saveTokens({ ...app.provider.tokens(), ...tokens, token_type: 'Bearer' });
  await app.connect();
}

/** Whether `accessToken` still opens /mcp (a 2026-07-28 tools/list). */
async function mcpStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${accessToken}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2026-07-28',
      'Mcp-Method': 'tools/list',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  });
  await response.body?.cancel();
  return response.status;
}

interface Repos {
  repositories: Array<{ fullName: string; visibility: string; url: string; description: string | null }>;
  page: number;
  nextPage: number | null;
}

describe('GitHub tools as the signed-in GitHub user', { timeout: 180_000 }, () => {
  let app: NotesApp;
  let user: User;

  before(async () => {
    github.signInAs(octocat);
    ({ app, user } = await connectApp('GitHub app', { upstream: { name: GITHUB } }));
  });

  test("github_repos lists the user's repositories at GitHub, page by page", async () => {
    const first = await ok<Repos>(app, 'github_repos');
    assert.equal(first.repositories.length, 30);
    assert.equal(first.nextPage, 2);
    assert.deepEqual(first.repositories[0], {
      fullName: 'octocat/repo-1',
      visibility: 'public',
      url: `${github.baseUrl}/octocat/repo-1`,
      description: null,
    });
    assert.equal(first.repositories[1]?.visibility, 'private');
    const second = await ok<Repos>(app, 'github_repos', { page: 2 });
    assert.deepEqual(
      second.repositories.map((repo) => repo.fullName),
      ['octocat/repo-31', 'octocat/repo-32', 'octocat/repo-33', 'octocat/repo-34', 'octocat/repo-35'],
    );
    assert.equal(second.nextPage, null);
  });

  test('github_create_issue asks first: "no" opens nothing, "yes" opens exactly that issue, as the user', async () => {
    const args = { repository: 'octocat/repo-2', title: 'Found a bug', body: 'Steps:\n1. <b>bold</b>' };
    const asked = user.questions.length;
    user.answer = { action: 'decline' };
    const declined = await ok<{ created: boolean }>(app, 'github_create_issue', args);
    assert.equal(declined.created, false);
    assert.equal(user.questions.length, asked + 1, 'the user was asked once');
    assert.equal(
      user.questions.at(-1)?.message,
      `Open the issue "Found a bug" in octocat/repo-2 on ${GITHUB}, as you? Everyone who can see the repository will see it.`,
    );
    assert.deepEqual(github.issues(), [], 'nothing reached GitHub');

    user.answer = { action: 'accept', content: { confirm: true } };
    const created = await ok(app, 'github_create_issue', args);
    assert.deepEqual(created, {
      repository: 'octocat/repo-2',
      title: 'Found a bug',
      created: true,
      number: 1,
      url: `${github.baseUrl}/octocat/repo-2/issues/1`,
    });
    assert.deepEqual(github.issues(), [
      {
        repository: 'octocat/repo-2',
        title: 'Found a bug',
        body: 'Steps:\n1. <b>bold</b>',
        login: 'octocat',
      },
    ]);
  });

  test('GitHub stops accepting the token: the tool says to reconnect, and the grant is revoked', async () => {
    github.signInAs(mona);
    const { app: monaApp } = await connectApp('GitHub app (mona)', { upstream: { name: GITHUB } });
    assert.equal((await ok<Repos>(monaApp, 'github_repos')).repositories.length, 2);
    const accessToken = monaApp.provider.tokens()?.access_token ?? '';

    assert.ok(github.revokeTokensOf('mona') > 0, 'mona had a token at GitHub');
    const refused = await monaApp.call('github_repos', {});
    assert.equal(refused.isError, true);
    assert.equal(
      textOf(refused),
      `${GITHUB} refused this connection's access (the user revoked it there, or it expired), so this connection to the server has been ended. Tell the user to reconnect the app to this server and sign in with ${GITHUB} again.`,
    );
    assert.equal(await mcpStatus(accessToken), 401, "the grant's access token no longer opens /mcp");
    const again = await refresh(monaApp);
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');

    // Another user's grant is not touched.
    assert.equal((await ok<Repos>(app, 'github_repos')).repositories.length, 30);
  });
});

describe('profile as the signed-in OpenID Connect user', { timeout: 180_000 }, () => {
  test("profile is the provider's UserInfo for this user", async () => {
    // Valid for the whole test (the provider's default here is 30 seconds).
    idp.accessTokenLifetime('ada', 600);
    const { app } = await connectApp('OIDC app', { upstream: { name: IDP, login: 'ada' } });
    assert.deepEqual(await ok(app, 'profile'), {
      sub: 'ada',
      claims: { sub: 'ada', email: 'ada@example.com', email_verified: true, name: 'Test user ada' },
    });
  });

  test("the provider's token expired: the tool says so, and the app's refresh renews it", async () => {
    // The token of the sign-in lives 3 seconds (long enough for the sign-in's own UserInfo
    // request); the renewed one long enough for the rest of the test.
    idp.accessTokenLifetime('turing', 3);
    const { app } = await connectApp('OIDC app (turing)', { upstream: { name: IDP, login: 'turing' } });
    idp.accessTokenLifetime('turing', 600);
    // Issued before connectApp returned: expired 3 seconds later (a second more for rounding).
    await new Promise((resolve) => setTimeout(resolve, 4_000));

    const expired = await app.call('profile', {});
    assert.equal(expired.isError, true);
    assert.equal(
      textOf(expired),
      `Your ${IDP} access for this connection has expired, and it can only be renewed when the app renews its own access to this server. Tell the user to reconnect the app to this server (sign in with ${IDP} again), then try again.`,
    );
    const accessToken = app.provider.tokens()?.access_token ?? '';
    assert.equal(await mcpStatus(accessToken), 200, 'an expired upstream token does not end the grant');

    const refreshes = idp.refreshGrants();
    await refreshed(app);
    assert.equal(idp.refreshGrants(), refreshes + 1, "our refresh renewed the provider's token");
    assert.equal((await ok<{ sub: string }>(app, 'profile')).sub, 'turing');
  });
});

/** What a browser page shows: its URL, its heading, its text. */
async function shown(page: Page): Promise<{ url: string; heading: string; text: string }> {
  await page.waitForLoadState('domcontentloaded');
  const heading = (await page.getByRole('heading', { level: 1 }).first().textContent())?.trim() ?? '';
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a user reads.
  const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ').trim();
  return { url: page.url(), heading, text };
}

/**
 * Opens the link page in a fresh Chromium whose user signs in here (the demo form) as `email`
 * when the page asks; if it offers to link, continues at GitHub ("Authorize") and comes back.
 * What the browser shows at the end.
 */
async function openLinkPage(
  url: string,
  email: string,
): Promise<{ url: string; heading: string; text: string }> {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(url);
    const signIn = await shown(page);
    assert.equal(signIn.heading, 'Sign in', `the link page asks to sign in first: ${signIn.text}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((at) => at.pathname.startsWith('/link/'));
    const linkPage = await shown(page);
    if (linkPage.heading !== `Link your ${GITHUB} account`) return linkPage;
    assert.match(linkPage.text, /Linking app asks to use your GitHub Enterprise account/);
    await page.getByRole('button', { name: `Continue with ${GITHUB}` }).click();
    await page.waitForURL((at) => at.origin === github.baseUrl);
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL((at) => at.origin === server.url && at.pathname === '/signin/github/callback');
    return await shown(page);
  } finally {
    await browser.close();
  }
}

describe('a demo user links a GitHub account through URL elicitation, in Chromium', {
  timeout: 180_000,
}, () => {
  test("another user's browser cannot link; the user's own can, and the tool then works", async () => {
    const { app, user } = await connectApp('Linking app', { email: 'linker@example.com' });
    github.signInAs(linus);
    const opened: string[] = [];
    let intruder: { heading: string; text: string } | undefined;
    user.openPage = async (url) => {
      opened.push(url);
      // The page reaches someone else's browser first: it refuses, and links nothing.
      intruder = await openLinkPage(url, 'intruder@example.com');
      const linked = await openLinkPage(url, 'linker@example.com');
      assert.equal(linked.heading, `Your ${GITHUB} account is linked`, linked.text);
      return { action: 'accept' };
    };

    const repos = await ok<Repos>(app, 'github_repos');
    assert.equal(opened.length, 1, 'the app was asked to open one page');
    assert.match(opened[0] ?? '', new RegExp(`^${server.url}/link/github\\?ticket=`));
    const question = user.questions.at(-1);
    assert.equal(question?.mode, 'url');
    assert.equal(
      question?.message,
      `github_repos acts on your ${GITHUB} account, and this connection is not linked to one. Open this page to sign in with ${GITHUB} and link it.`,
    );
    assert.equal(intruder?.heading, 'This link is for another account');
    assert.match(intruder?.text ?? '', /You are signed in here as intruder@example\.com/);
    assert.deepEqual(
      repos.repositories.map((repo) => repo.fullName),
      ['linus/repo-1', 'linus/repo-2', 'linus/repo-3'],
      "the linked account's repositories, with its token",
    );

    // The app's next refresh puts the account into the grant (GitHub is asked about it again);
    // the tool keeps working, and the user is still the demo user.
    await refreshed(app);
    assert.equal((await ok<Repos>(app, 'github_repos')).repositories.length, 3);
    const me = await ok<{ email: string; provider: string }>(app, 'whoami');
    assert.deepEqual(
      { email: me.email, provider: me.provider },
      { email: 'linker@example.com', provider: 'demo' },
    );
    assert.equal(opened.length, 1, 'no page asked for again');
  });
});
