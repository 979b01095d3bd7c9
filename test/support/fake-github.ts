// GitHub (Enterprise Server layout: web at `/`, REST API at `/api/v3`) answered inside the test
// Worker: GitHub is the one thing outside the machine, so only its HTTP is faked, with the shapes
// of its answers (the token endpoint's errors as 200 with `error`, `/user`, `/user/emails`,
// `/user/orgs`; for the GitHub tools `/user/repos`, paginated with a `Link` header, and `POST
// /repos/<owner>/<name>/issues`). The e2e tests drive a loopback stand-in
// (test/e2e/support/github-stand-in.ts).

/** The account signed in at the fake GitHub. */
export interface FakeGithubAccount {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
  orgs: Array<{ id: number; login: string }>;
}

export class FakeGithub {
  /** Whether GitHub still accepts the user's tokens (false: the user removed the app). */
  authorized = true;
  /** When set, every answer is this HTTP status instead (GitHub down: 503). */
  outage: number | null = null;
  /** The API paths asked for, in order (`user`, `user/emails`, `user/orgs`). */
  readonly asked: string[] = [];
  /** The `Authorization` header of each API request, in order. */
  readonly authorizations: string[] = [];
  /** The access token the next sign-in gets; each token stays the account's it was issued for. */
  accessToken = 'gho_signed_in';
  /** `expires_in` of the tokens it issues at sign-in (GitHub Apps' expiring tokens); none by default. */
  expiresIn: number | undefined = undefined;
  /** The repositories `/user/repos` lists (each user sees the same ones). */
  repositories: Array<{ full_name: string; private: boolean; visibility: string; html_url: string }> = [];
  /** Issues opened through the API: the repository, the title, and the token that opened it. */
  readonly issues: Array<{ repository: string; title: string; body: string; authorization: string }> = [];
  readonly #accounts = new Map<string, FakeGithubAccount>();

  constructor(
    readonly baseUrl: string,
    public account: FakeGithubAccount,
  ) {}

  /** The fake's answer to a request to its origin. */
  async fetch(request: Request): Promise<Response> {
    if (this.outage !== null) return new Response('unavailable', { status: this.outage });
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
      if (form.get('grant_type') === 'refresh_token') {
        if (!this.authorized) return Response.json({ error: 'bad_refresh_token' });
        return Response.json({ access_token: 'gho_new', refresh_token: 'ghr_new', expires_in: 28800 });
      }
      if (!form.get('code') || !form.get('code_verifier'))
        return Response.json({ error: 'bad_verification_code' });
      this.#accounts.set(this.accessToken, this.account);
      return Response.json({
        access_token: this.accessToken,
        token_type: 'bearer',
        scope: 'read:user',
        ...(this.expiresIn !== undefined && { expires_in: this.expiresIn }),
      });
    }
    if (pathname.startsWith('/api/v3/')) {
      const path = pathname.slice('/api/v3/'.length);
      const authorization = request.headers.get('Authorization') ?? '';
      this.asked.push(path);
      this.authorizations.push(authorization);
      if (!this.authorized || !authorization.startsWith('Bearer gho_')) {
        return Response.json({ message: 'Bad credentials' }, { status: 401 });
      }
      const { id, login, name, emails, orgs } = this.#accounts.get(authorization.slice(7)) ?? this.account;
      if (request.method === 'POST') {
        const issue = /^repos\/([^/]+)\/([^/]+)\/issues$/.exec(path);
        const repository = issue ? `${issue[1]}/${issue[2]}` : '';
        if (!this.repositories.some((repo) => repo.full_name === repository)) {
          return Response.json({ message: 'Not Found (a secret of GitHub)' }, { status: 404 });
        }
        const { title, body } = (await request.json()) as { title: string; body: string };
        this.issues.push({ repository, title, body, authorization });
        const number = this.issues.length;
        return Response.json(
          { number, title, html_url: `${this.baseUrl}/${repository}/issues/${number}` },
          { status: 201 },
        );
      }
      if (path === 'user') return Response.json({ id, login, name });
      if (path === 'user/emails') return Response.json(emails);
      if (path === 'user/orgs') return Response.json(orgs.map((org) => ({ ...org, description: null })));
      if (path === 'user/repos') return this.#repositoryPage(new URL(request.url));
    }
    return Response.json({ message: 'Not Found' }, { status: 404 });
  }

  /** A page of `/user/repos`, with GitHub's `Link` header to the next one. */
  #repositoryPage(url: URL): Response {
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const items = this.repositories.slice((page - 1) * perPage, page * perPage);
    const headers = new Headers();
    if (page * perPage < this.repositories.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      headers.set('Link', `<${next.href}>; rel="next"`);
    }
    return Response.json(items, { headers });
  }
}
