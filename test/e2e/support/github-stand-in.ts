import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A loopback stand-in for GitHub (Enterprise Server layout: web at `/`, REST API at `/api/v3`),
 * speaking the parts of GitHub's OAuth app flow and user API that the server uses, with their
 * shapes: the authorize page, the token endpoint (errors as 200 with `error`), `/user`,
 * `/user/emails`, `/user/orgs`; for the GitHub tools `/user/repos` (paginated with GitHub's
 * `Link` header) and `POST /repos/<owner>/<name>/issues`. A token that is not (or no longer) a
 * user's is answered 401 "Bad credentials", as GitHub does. GitHub has no offline server; this is
 * what the e2e tests reach through `GITHUB_BASE_URL`. The user "signed in at GitHub" is
 * {@link GithubStandIn.signInAs}.
 */
export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
  /** GitHub answers an organization's id with its login: the id never changes, the login can. */
  orgs: Array<{ id: number; login: string }>;
  /** The user's repositories (`<login>/<name>`), most recently updated first; none by default. */
  repositories?: Array<{ name: string; private: boolean }>;
}

/** An issue opened through the API, with the login of the user whose token opened it. */
export interface OpenedIssue {
  repository: string;
  title: string;
  body: string;
  login: string;
}

export interface GithubStandIn {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Registers the OAuth app's callback URL (known once the server under test runs). */
  configure: (callbackUrl: string) => void;
  /** The user who is signed in at "GitHub" and clicks Authorize. */
  signInAs: (user: GithubUser) => void;
  /** Revokes every token of a user, as when they remove the app in their GitHub settings. */
  revokeTokensOf: (login: string) => number;
  /** Every issue opened through the API so far, in order. */
  issues: () => OpenedIssue[];
  close: () => Promise<void>;
}

export async function startGithubStandIn(): Promise<GithubStandIn> {
  const clientId = 'Iv1.e2e-standin';
  const clientSecret = 'e2e-github-client-secret';
  let callbackUrl = '';
  let current: GithubUser | undefined;
  const codes = new Map<string, { user: GithubUser; redirectUri: string; challenge: string | null }>();
  const tokens = new Map<string, GithubUser>();
  const issues: OpenedIssue[] = [];
  /** `http://127.0.0.1:PORT`, once listening (the URLs in its answers). */
  let baseUrl = '';
  const origin = () => baseUrl;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const readForm = async (req: IncomingMessage) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    return new URLSearchParams(body);
  };
  const userOf = (req: IncomingMessage) => {
    const match = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] ? tokens.get(match[1]) : undefined;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const params = url.searchParams;
      if (params.get('client_id') !== clientId || params.get('redirect_uri') !== callbackUrl) {
        res
          .writeHead(400, { 'Content-Type': 'text/plain' })
          .end('The redirect_uri is not registered for this app.');
        return;
      }
      const hidden = ['redirect_uri', 'state', 'code_challenge']
        .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) ?? '')}">`)
        .join('');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>Authorize application</title><h1>Authorize MCP server</h1>` +
          `<p>Signed in as ${escapeHtml(current?.login ?? 'nobody')}; scope ${escapeHtml(params.get('scope') ?? '')}</p>` +
          `<form method="post" action="/login/oauth/authorize">${hidden}<button type="submit">Authorize</button></form>`,
      );
      return;
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/authorize') {
      const form = await readForm(req);
      if (!current) {
        res.writeHead(403).end('nobody is signed in');
        return;
      }
      const code = randomBytes(16).toString('hex');
      const redirectUri = form.get('redirect_uri') ?? '';
      codes.set(code, { user: current, redirectUri, challenge: form.get('code_challenge') || null });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', form.get('state') ?? '');
      res.writeHead(302, { Location: back.href }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = await readForm(req);
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
        json(res, 200, { error: 'incorrect_client_credentials' });
        return;
      }
      const code = form.get('code') ?? '';
      const grant = codes.get(code);
      codes.delete(code);
      if (!grant || grant.redirectUri !== form.get('redirect_uri')) {
        json(res, 200, { error: 'bad_verification_code' });
        return;
      }
      const verifier = form.get('code_verifier') ?? '';
      if (grant.challenge && createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
        json(res, 200, { error: 'bad_verification_code' });
        return;
      }
      const token = `gho_${randomBytes(18).toString('hex')}`;
      tokens.set(token, grant.user);
      json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email,read:org' });
      return;
    }
    if (url.pathname.startsWith('/api/v3/')) {
      const user = userOf(req);
      if (!user) {
        json(res, 401, { message: 'Bad credentials' });
        return;
      }
      const path = url.pathname.slice('/api/v3/'.length);
      const repositories = (user.repositories ?? []).map((repo) => ({
        full_name: `${user.login}/${repo.name}`,
        private: repo.private,
        visibility: repo.private ? 'private' : 'public',
        html_url: `${origin()}/${user.login}/${repo.name}`,
        description: null,
      }));
      if (req.method === 'POST') {
        const issue = /^repos\/([^/]+)\/([^/]+)\/issues$/.exec(path);
        // owner/name as GitHub allows them need no decoding.
        const repository = issue ? `${issue[1]}/${issue[2]}` : '';
        if (!repositories.some((repo) => repo.full_name === repository)) {
          json(res, 404, { message: 'Not Found' });
          return;
        }
        let body = '';
        for await (const chunk of req) body += chunk;
        let given: { title?: unknown; body?: unknown };
        try {
          given = JSON.parse(body);
        } catch {
          json(res, 400, { message: 'Problems parsing JSON' });
          return;
        }
        if (typeof given.title !== 'string' || given.title === '') {
          json(res, 422, { message: 'Validation Failed' });
          return;
        }
        issues.push({
          repository,
          title: given.title,
          body: typeof given.body === 'string' ? given.body : '',
          login: user.login,
        });
        const number = issues.filter((opened) => opened.repository === repository).length;
        json(res, 201, {
          number,
          title: given.title,
          html_url: `${origin()}/${repository}/issues/${number}`,
        });
        return;
      }
      if (req.method === 'GET' && path === 'user') {
        const primary = user.emails.find((entry) => entry.primary)?.email ?? null;
        json(res, 200, { id: user.id, login: user.login, name: user.name, email: primary });
        return;
      }
      if (req.method === 'GET' && path === 'user/emails') {
        json(res, 200, user.emails);
        return;
      }
      if (req.method === 'GET' && path === 'user/orgs') {
        json(
          res,
          200,
          user.orgs.map(({ id, login }) => ({ login, id })),
        );
        return;
      }
      if (req.method === 'GET' && path === 'user/repos') {
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100);
        const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
        if (page * perPage < repositories.length) {
          const next = new URL(url.pathname + url.search, origin());
          next.searchParams.set('page', String(page + 1));
          res.setHeader('Link', `<${next.href}>; rel="next"`);
        }
        json(res, 200, repositories.slice((page - 1) * perPage, page * perPage));
        return;
      }
    }
    json(res, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    clientId,
    clientSecret,
    configure: (url) => {
      callbackUrl = url;
    },
    signInAs: (user) => {
      current = user;
    },
    revokeTokensOf: (login) => {
      let revoked = 0;
      for (const [token, user] of tokens) {
        if (user.login === login) {
          tokens.delete(token);
          revoked += 1;
        }
      }
      return revoked;
    },
    issues: () => [...issues],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
