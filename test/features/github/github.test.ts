import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../../../src/auth/env';
import type { GithubVars } from '../../../src/auth/sign-in/providers/github';
import { Browser, type Fetcher, hiddenField } from '../../support/browser';
import { FakeGithub } from '../../support/fake-github';
import { answerOf, type JsonRpcResponse, LEGACY_VERSION, mcpPost, modernRequest } from '../../support/mcp';
import {
  approveWithProvider,
  authorizePath,
  consentPage,
  decide,
  exchangeCode,
  pkce,
  redirectOf,
  refreshWith,
  registerClient,
  signIn,
  type Tokens,
} from '../../support/oauth';
import { answerUpstreams } from '../../support/upstreams';
import { workerOn } from '../../support/worker';

// The GitHub tools against the in-Worker GitHub stand-in (test/support/fake-github.ts), through
// MCP as a client calls them, with grants made by real sign-ins (GitHub, or the demo sign-in).

const GITHUB = 'https://ghe.test';

const vars = {
  ...env,
  GITHUB_CLIENT_ID: 'gh-client',
  GITHUB_CLIENT_SECRET: 'gh-secret',
  GITHUB_BASE_URL: GITHUB,
} as AppEnv & GithubVars;

const worker: Fetcher = workerOn(vars);

let github: FakeGithub;

beforeEach(() => {
  github = new FakeGithub(GITHUB, {
    id: 583231,
    login: 'octocat',
    name: 'The Octocat',
    emails: [{ email: 'octocat@acme.example', primary: true, verified: true }],
    orgs: [],
  });
  github.repositories = Array.from({ length: 35 }, (_, index) => ({
    full_name: `octocat/repo-${index + 1}`,
    private: index % 2 === 0,
    visibility: index % 2 === 0 ? 'private' : 'public',
    html_url: `${GITHUB}/octocat/repo-${index + 1}`,
  }));
  answerUpstreams({ [GITHUB]: github });
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface App {
  client: { client_id: string };
  tokens: Tokens;
  browser: Browser;
}

/** An app connected by a user who signs in with GitHub and gets `accessToken` there. */
async function githubApp(accessToken = 'gho_signed_in'): Promise<App> {
  github.accessToken = accessToken;
  const browser = new Browser(undefined, worker);
  const { client, verifier, providerUrl } = await approveWithProvider(browser, 'github');
  const state = providerUrl.searchParams.get('state') ?? '';
  const callback = await browser.get(`/signin/github/callback?${new URLSearchParams({ code: 'c', state })}`);
  const code = redirectOf(callback).searchParams.get('code') ?? '';
  const response = await exchangeCode(client, code, verifier, worker);
  expect(response.status).toBe(200);
  return { client, browser, tokens: (await response.json()) as Tokens };
}

/** An app connected by a demo user (the sign-in form), on the server where GitHub is configured. */
async function demoApp(email = `ada-${crypto.randomUUID().slice(0, 8)}@example.com`): Promise<App> {
  const browser = new Browser(undefined, worker);
  const client = await registerClient();
  const { verifier, challenge } = await pkce();
  const path = authorizePath(client, challenge);
  expect((await signIn(browser, path, email)).status).toBe(303);
  const code = redirectOf(
    await decide(browser, await consentPage(browser, path), 'approve'),
  ).searchParams.get('code');
  const response = await exchangeCode(client, code ?? '', verifier, worker);
  expect(response.status).toBe(200);
  return { client, browser, tokens: (await response.json()) as Tokens };
}

interface CallOptions {
  capabilities?: Record<string, unknown>;
  retry?: { inputResponses?: Record<string, unknown>; requestState?: string };
  legacy?: boolean;
}

/** A tools/call: 2026-07-28 (declaring `capabilities`, none by default) or 2025-era (`legacy`). */
async function callTool(
  app: App,
  name: string,
  args: Record<string, unknown>,
  options: CallOptions = {},
): Promise<JsonRpcResponse> {
  if (options.legacy) {
    return answerOf(
      await mcpPost(
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
        {
          token: app.tokens.access_token,
          headers: { 'MCP-Protocol-Version': LEGACY_VERSION },
          fetcher: worker,
        },
      ),
    );
  }
  const { body, headers } = modernRequest('tools/call', { name, arguments: args, ...options.retry });
  const meta = (body as { params: { _meta: Record<string, unknown> } }).params._meta;
  meta['io.modelcontextprotocol/clientCapabilities'] = options.capabilities ?? {};
  return answerOf(await mcpPost(body, { token: app.tokens.access_token, headers, fetcher: worker }));
}

function textOf(answer: JsonRpcResponse): string {
  const content = answer.result?.content as Array<{ text?: string }> | undefined;
  return content?.[0]?.text ?? '';
}

/** Whether the app's access token still works (a 2026 tools/list). */
async function tokenWorks(app: App): Promise<boolean> {
  const { body, headers } = modernRequest('tools/list');
  return (await mcpPost(body, { token: app.tokens.access_token, headers, fetcher: worker })).status === 200;
}

describe('github_repos', () => {
  it('lists the repositories a page at a time, with the GitHub token of the grant', async () => {
    const app = await githubApp('gho_octocat');
    const first = await callTool(app, 'github_repos', {});
    expect(first.result?.isError).toBeUndefined();
    const page1 = first.result?.structuredContent as {
      repositories: Array<{ fullName: string; visibility: string; url: string }>;
      page: number;
      nextPage: number | null;
    };
    expect(page1.repositories).toHaveLength(30);
    expect(page1.repositories[0]).toEqual({
      fullName: 'octocat/repo-1',
      visibility: 'private',
      url: `${GITHUB}/octocat/repo-1`,
      description: null,
    });
    expect(page1.nextPage).toBe(2);
    expect(textOf(first)).toContain('More: call github_repos with page 2.');
    const second = await callTool(app, 'github_repos', { page: 2 });
    const page2 = second.result?.structuredContent as typeof page1;
    expect(page2.repositories.map((repo) => repo.fullName)).toEqual(
      Array.from({ length: 5 }, (_, index) => `octocat/repo-${31 + index}`),
    );
    expect(page2.nextPage).toBeNull();
    expect(github.asked.filter((path) => path.startsWith('user/repos'))).toEqual([
      'user/repos',
      'user/repos',
    ]);
    expect(github.authorizations.at(-1)).toBe('Bearer gho_octocat');
  });

  it("one user's GitHub token is never used for another user's call", async () => {
    const ada = await githubApp('gho_ada');
    github.account = { ...github.account, id: 1, login: 'bob' };
    const bob = await githubApp('gho_bob');
    github.authorizations.length = 0;
    await callTool(bob, 'github_repos', {});
    await callTool(ada, 'github_repos', {});
    await callTool(bob, 'github_repos', { page: 2 });
    expect(github.authorizations).toEqual(['Bearer gho_bob', 'Bearer gho_ada', 'Bearer gho_bob']);
  });

  it('GitHub refuses the token (401): the grant is revoked and the user is told to reconnect, in our words', async () => {
    const app = await githubApp();
    github.authorized = false;
    const answer = await callTool(app, 'github_repos', {});
    expect(answer.result?.isError).toBe(true);
    expect(textOf(answer)).toBe(
      "GitHub Enterprise refused this connection's access (the user revoked it there, or it expired), so this connection to the server has been ended. Tell the user to reconnect the app to this server and sign in with GitHub Enterprise again.",
    );
    expect(textOf(answer)).not.toContain('Bad credentials');
    expect(await tokenWorks(app)).toBe(false);
    expect((await refreshWith(app.client, app.tokens.refresh_token, worker)).status).toBe(400);
  });

  it('an expired GitHub token: a message that says to reconnect, and GitHub is not called with it', async () => {
    github.expiresIn = 0;
    const app = await githubApp();
    github.asked.length = 0;
    const answer = await callTool(app, 'github_repos', {});
    expect(answer.result?.isError).toBe(true);
    expect(textOf(answer)).toContain('Your GitHub Enterprise access for this connection has expired');
    expect(textOf(answer)).toContain('reconnect the app to this server');
    expect(github.asked).toEqual([]);
  });

  it('GitHub down: our message, the grant kept', async () => {
    const app = await githubApp();
    github.outage = 503;
    const answer = await callTool(app, 'github_repos', {});
    expect(textOf(answer)).toBe('GitHub Enterprise is not available right now (HTTP 503). Try again later.');
    expect(await tokenWorks(app)).toBe(true);
  });
});

describe('github_create_issue', () => {
  const args = { repository: 'octocat/repo-2', title: 'It broke', body: 'Steps…' };
  const FORM = { elicitation: { form: {} } };

  it('asks the user first (2026-07-28), and opens the issue as the user once they say yes', async () => {
    const app = await githubApp('gho_octocat');
    const asked = await callTool(app, 'github_create_issue', args, { capabilities: FORM });
    expect(asked.result?.resultType).toBe('input_required');
    const question = ((asked.result?.inputRequests ?? {}) as Record<string, { params: { message: string } }>)
      .confirm;
    expect(question?.params.message).toBe(
      'Open the issue "It broke" in octocat/repo-2 on GitHub Enterprise, as you? Everyone who can see the repository will see it.',
    );
    expect(github.issues).toEqual([]);
    const done = await callTool(app, 'github_create_issue', args, {
      capabilities: FORM,
      retry: {
        inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
        requestState: asked.result?.requestState as string,
      },
    });
    expect(done.result?.structuredContent).toEqual({
      repository: 'octocat/repo-2',
      title: 'It broke',
      created: true,
      number: 1,
      url: `${GITHUB}/octocat/repo-2/issues/1`,
    });
    expect(github.issues).toEqual([
      {
        repository: 'octocat/repo-2',
        title: 'It broke',
        body: 'Steps…',
        authorization: 'Bearer gho_octocat',
      },
    ]);
  });

  it('declined: no issue', async () => {
    const app = await githubApp();
    const asked = await callTool(app, 'github_create_issue', args, { capabilities: FORM });
    const declined = await callTool(app, 'github_create_issue', args, {
      capabilities: FORM,
      retry: {
        inputResponses: { confirm: { action: 'decline' } },
        requestState: asked.result?.requestState as string,
      },
    });
    expect(declined.result?.structuredContent).toMatchObject({ created: false, number: null });
    expect(github.issues).toEqual([]);
  });

  it('a 2025-era client must pass confirm: true, and the tool says so', async () => {
    const app = await githubApp();
    const refused = await callTool(app, 'github_create_issue', args, { legacy: true });
    expect(refused.result?.isError).toBe(true);
    expect(textOf(refused)).toContain('call github_create_issue again with confirm: true');
    expect(github.issues).toEqual([]);
    const created = await callTool(app, 'github_create_issue', { ...args, confirm: true }, { legacy: true });
    expect(created.result?.structuredContent).toMatchObject({ created: true, number: 1 });
  });

  it("GitHub's refusal reaches the model in our words only", async () => {
    const app = await githubApp();
    const answer = await callTool(
      app,
      'github_create_issue',
      { ...args, repository: 'someone/secret', confirm: true },
      {
        legacy: true,
      },
    );
    expect(textOf(answer)).toBe(
      'There is no repository someone/secret on GitHub Enterprise, or this account cannot see it.',
    );
    expect(JSON.stringify(answer)).not.toContain('a secret of GitHub');
  });
});

describe('a user signed in another way (demo)', () => {
  it('tools/list says what the GitHub tools need', async () => {
    const app = await demoApp();
    const { body, headers } = modernRequest('tools/list');
    const listed = await answerOf(
      await mcpPost(body, { token: app.tokens.access_token, headers, fetcher: worker }),
    );
    const repos = ((listed.result?.tools ?? []) as Array<{ name: string; description: string }>).find(
      (tool) => tool.name === 'github_repos',
    );
    expect(repos?.description).toContain(
      "It acts on your GitHub Enterprise account, and this connection signed in another way (demo): calling it asks you to link your GitHub Enterprise account on this server's pages first.",
    );
  });

  it('a 2025-era client gets an error naming the page that links the account', async () => {
    const app = await demoApp();
    const answer = await callTool(app, 'github_repos', {}, { legacy: true });
    expect(answer.result?.isError).toBe(true);
    expect(textOf(answer)).toMatch(
      /^github_repos acts on the user's GitHub Enterprise account, and this connection signed in with demo\. Ask the user to open http:\/\/localhost\/link\/github\?ticket=\S+ in their browser within 10 minutes/,
    );
    expect(github.asked).toEqual([]);
  });

  it('a 2026-07-28 client that can open pages gets a URL elicitation of the link page', async () => {
    const app = await demoApp();
    const answer = await callTool(app, 'github_repos', {}, { capabilities: { elicitation: { url: {} } } });
    expect(answer.result?.resultType).toBe('input_required');
    const request = (
      (answer.result?.inputRequests ?? {}) as Record<
        string,
        { method: string; params: Record<string, string> }
      >
    ).url;
    expect(request?.method).toBe('elicitation/create');
    expect(request?.params.mode).toBe('url');
    expect(request?.params.url).toMatch(/^http:\/\/localhost\/link\/github\?ticket=/);
    const declined = await callTool(
      app,
      'github_repos',
      {},
      {
        capabilities: { elicitation: { url: {} } },
        retry: {
          inputResponses: { url: { action: 'decline' } },
          requestState: answer.result?.requestState as string,
        },
      },
    );
    expect(textOf(declined)).toBe(
      'github_repos needs a GitHub Enterprise account, and the user chose not to link one.',
    );
  });
});

/** The link page of a tool's answer (2025 era: in its message). */
async function linkPathOf(app: App): Promise<string> {
  const answer = await callTool(app, 'github_repos', {}, { legacy: true });
  const url = /http:\/\/localhost(\/link\/github\?ticket=\S+)/.exec(textOf(answer))?.[1];
  if (!url) throw new Error(`no link in ${textOf(answer)}`);
  return url;
}

/** Opens the link page in `browser` and sends its form; the answer (GitHub's redirect when all is well). */
async function startLink(browser: Browser, path: string): Promise<Response> {
  const page = await browser.get(path);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  expect(html).toContain('Link your GitHub Enterprise account');
  expect(html).toContain('Test client');
  return browser.postForm('/link/github', {
    csrf: hiddenField(html, 'csrf'),
    ticket: hiddenField(html, 'ticket'),
  });
}

describe('linking a GitHub account to a demo grant', () => {
  it('the page signs in with GitHub, the grant gains its token, the tool works, and a refresh keeps it in the grant', async () => {
    const app = await demoApp();
    github.accessToken = 'gho_linked';
    const started = await startLink(app.browser, await linkPathOf(app));
    expect(started.status).toBe(303);
    const githubUrl = new URL(started.headers.get('Location') ?? '');
    expect(githubUrl.origin + githubUrl.pathname).toBe(`${GITHUB}/login/oauth/authorize`);
    const state = githubUrl.searchParams.get('state') ?? '';
    const back = await app.browser.get(
      `/signin/github/callback?${new URLSearchParams({ code: 'c', state })}`,
    );
    const html = await back.text();
    expect(back.status, html).toBe(200);
    expect(html).toContain('Your GitHub Enterprise account is linked');

    const listed = await callTool(app, 'github_repos', {});
    expect(listed.result?.isError).toBeUndefined();
    expect(github.authorizations.at(-1)).toBe('Bearer gho_linked');
    // whoami: still the demo user.
    const who = await callTool(app, 'whoami', {});
    expect(who.result?.structuredContent).toMatchObject({ provider: 'demo' });

    const refreshed = await refreshWith(app.client, app.tokens.refresh_token, worker);
    expect(refreshed.status).toBe(200);
    const after: App = { ...app, tokens: (await refreshed.json()) as Tokens };
    // The refresh put the account in the grant's props: the copy kept in KV is no longer needed.
    for (const { name } of (await env.OAUTH_KV.list({ prefix: 'linked-account:' })).keys) {
      await env.OAUTH_KV.delete(name);
    }
    const again = await callTool(after, 'github_repos', { page: 2 });
    expect(again.result?.isError).toBeUndefined();
    expect(github.authorizations.at(-1)).toBe('Bearer gho_linked');

    // The linked account is asked about at each refresh, as a sign-in's is: refused, the grant ends.
    github.authorized = false;
    expect((await refreshWith(after.client, after.tokens.refresh_token, worker)).status).toBe(400);
    expect(await tokenWorks(after)).toBe(false);
  });

  it('a forged or altered ticket links nothing', async () => {
    const app = await demoApp();
    const path = await linkPathOf(app);
    const forged = path.replace(/ticket=([^.]+)\.(.+)$/, (_all, data: string) => `ticket=${data}.AAAA`);
    const page = await app.browser.get(forged);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('This link is not valid');
  });

  it('a ticket starts one link: replayed, it is refused', async () => {
    const app = await demoApp();
    const path = await linkPathOf(app);
    expect((await startLink(app.browser, path)).status).toBe(303);
    const page = await app.browser.get(path);
    const html = await page.text();
    const replay = await app.browser.postForm('/link/github', {
      csrf: hiddenField(html, 'csrf'),
      ticket: hiddenField(html, 'ticket'),
    });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('This link is not valid');
  });

  it("another user's browser cannot link to the grant (no session: sign in first)", async () => {
    const ada = await demoApp();
    const path = await linkPathOf(ada);
    const mallory = await demoApp();
    const page = await mallory.browser.get(path);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('This link is for another account');
    const stranger = new Browser(undefined, worker);
    const anonymous = await stranger.get(path);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toMatch(/^\/signin\?return_to=%2Flink%2Fgithub%3Fticket%3D/);
  });

  it("a callback's state that is not this browser's pending link is refused", async () => {
    const app = await demoApp();
    const started = await startLink(app.browser, await linkPathOf(app));
    expect(started.status).toBe(303);
    const forgedState = await app.browser.get(
      `/signin/github/callback?${new URLSearchParams({ code: 'c', state: 'forged' })}`,
    );
    expect(forgedState.status).toBe(400);
    const still = await callTool(app, 'github_repos', {}, { legacy: true });
    expect(textOf(still)).toContain('/link/github?ticket=');
  });
});
