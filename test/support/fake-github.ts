// GitHub (Enterprise Server layout: web at `/`, REST API at `/api/v3`) answered inside the test
// Worker: GitHub is the one thing outside the machine, so only its HTTP is faked, with the shapes
// of its answers (the token endpoint's errors as 200 with `error`, `/user`, `/user/emails`,
// `/user/orgs`). The e2e tests drive a loopback stand-in (test/e2e/support/github-stand-in.ts).

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
      return Response.json({ access_token: 'gho_signed_in', token_type: 'bearer', scope: 'read:user' });
    }
    if (request.method === 'GET' && pathname.startsWith('/api/v3/')) {
      const path = pathname.slice('/api/v3/'.length);
      this.asked.push(path);
      if (!this.authorized || !request.headers.get('Authorization')?.startsWith('Bearer gho_')) {
        return Response.json({ message: 'Bad credentials' }, { status: 401 });
      }
      const { id, login, name, emails, orgs } = this.account;
      if (path === 'user') return Response.json({ id, login, name });
      if (path === 'user/emails') return Response.json(emails);
      if (path === 'user/orgs') return Response.json(orgs.map((org) => ({ ...org, description: null })));
    }
    return Response.json({ message: 'Not Found' }, { status: 404 });
  }
}
