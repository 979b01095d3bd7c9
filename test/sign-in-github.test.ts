import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEnv } from '../src/auth/env';
import type { GithubVars } from '../src/auth/sign-in/providers/github';
import { Browser } from './support/browser';
import { FakeGithub, type FakeGithubAccount } from './support/fake-github';
import { modernCall } from './support/mcp';
import { approveWithProvider, exchangeCode, redirectOf } from './support/oauth';
import { answerUpstreams } from './support/upstreams';
import { workerOn } from './support/worker';

// GitHub is the one thing outside the machine, so only its HTTP is faked here
// (test/support/fake-github.ts): `fetch` to https://ghe.test answers the token endpoint and the
// user API. The whole flow with Chromium and a loopback stand-in is in test/e2e/github.test.ts.

const GITHUB = 'https://ghe.test';

const githubEnv = (extra: Partial<AppEnv & GithubVars> = {}) =>
  ({
    ...env,
    GITHUB_CLIENT_ID: 'gh-client',
    GITHUB_CLIENT_SECRET: 'gh-secret',
    GITHUB_BASE_URL: GITHUB,
    ...extra,
  }) as AppEnv & GithubVars;

const octocat = (): FakeGithubAccount => ({
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  emails: [
    { email: 'octocat@former-employer.example', primary: false, verified: true },
    { email: 'Octocat@Acme.example', primary: true, verified: true },
  ],
  orgs: [{ id: 9919, login: 'acme' }],
});

let github: FakeGithub;

beforeEach(() => {
  github = new FakeGithub(GITHUB, octocat());
  answerUpstreams({ [GITHUB]: github });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * An authorization through GitHub: consent → Allow → GitHub's authorize page (skipped: the fake
 * has signed the user in) → our callback. The callback's answer, the browser and what redeems
 * the code.
 */
async function signInThroughGithub(vars: AppEnv) {
  const browser = new Browser(undefined, workerOn(vars));
  const { client, verifier, providerUrl: githubUrl } = await approveWithProvider(browser, 'github');
  expect(githubUrl.origin + githubUrl.pathname).toBe(`${GITHUB}/login/oauth/authorize`);
  const state = githubUrl.searchParams.get('state') ?? '';
  const callback = await browser.get(`/signin/github/callback?${new URLSearchParams({ code: 'c', state })}`);
  return { browser, client, verifier, callback };
}

describe('GitHub sign-in', () => {
  it("uses the primary verified email, never a secondary one, and matches ALLOWED_GITHUB_ORGS by the organization's id", async () => {
    github.account.orgs = [{ id: 9919, login: 'acme-renamed' }];
    const { client, verifier, callback } = await signInThroughGithub(
      githubEnv({ ALLOWED_GITHUB_ORGS: '9919' }),
    );
    const code = redirectOf(callback).searchParams.get('code') ?? '';
    const tokens = (await (await exchangeCode(client, code, verifier)).json()) as { access_token: string };
    const { answer } = await modernCall(tokens.access_token, 'tools/call', { name: 'whoami', arguments: {} });
    expect(answer.result?.structuredContent).toEqual({
      userId: 'github:583231',
      email: 'octocat@acme.example',
      name: 'The Octocat',
      provider: 'github',
    });
  });

  it('no verified primary email (only a secondary one verified): refused with a clear page, no session, access_denied', async () => {
    github.account.emails = [
      { email: 'octocat@new.example', primary: true, verified: false },
      { email: 'octocat@acme.example', primary: false, verified: true },
    ];
    const { browser, callback } = await signInThroughGithub(githubEnv());
    const html = await callback.text();
    expect(callback.status, html).toBe(403);
    expect(html).toContain('This account may not use this server');
    expect(html).toContain('GitHub Enterprise has no verified primary email address for octocat.');
    expect(html).toContain('Verify your primary email address');
    expect(html).toMatch(/href="http:\/\/127\.0\.0\.1:33418\/callback\?error=access_denied&amp;/);
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('an organization whose login is a listed id is not that organization: refused', async () => {
    github.account.orgs = [{ id: 4242, login: '9919' }];
    const { browser, callback } = await signInThroughGithub(githubEnv({ ALLOWED_GITHUB_ORGS: '9919' }));
    expect(callback.status).toBe(403);
    expect(await callback.text()).toContain('this server does not let that account in');
    expect(browser.cookies.has('__Host-session')).toBe(false);
  });

  it('an organization listed by login (the weaker, older form) still lets its members in', async () => {
    const { callback } = await signInThroughGithub(githubEnv({ ALLOWED_GITHUB_ORGS: 'ACME' }));
    expect(redirectOf(callback).searchParams.get('code')).toBeTruthy();
  });
});
