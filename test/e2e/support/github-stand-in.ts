import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A loopback stand-in for GitHub (Enterprise Server layout: web at `/`, REST API at `/api/v3`),
 * speaking the parts of GitHub's OAuth app flow and user API that the server uses, with their
 * shapes: the authorize page, the token endpoint (errors as 200 with `error`), `/user`,
 * `/user/emails`, `/user/orgs`. GitHub has no offline server; this is what the e2e tests reach
 * through `GITHUB_BASE_URL`. The user "signed in at GitHub" is {@link GithubStandIn.signInAs}.
 */
export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
  /** GitHub answers an organization's id with its login: the id never changes, the login can. */
  orgs: Array<{ id: number; login: string }>;
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
  close: () => Promise<void>;
}

export async function startGithubStandIn(): Promise<GithubStandIn> {
  const clientId = 'Iv1.e2e-standin';
  const clientSecret = 'e2e-github-client-secret';
  let callbackUrl = '';
  let current: GithubUser | undefined;
  const codes = new Map<string, { user: GithubUser; redirectUri: string; challenge: string | null }>();
  const tokens = new Map<string, GithubUser>();

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
    if (req.method === 'GET' && url.pathname.startsWith('/api/v3/')) {
      const user = userOf(req);
      if (!user) {
        json(res, 401, { message: 'Bad credentials' });
        return;
      }
      if (url.pathname === '/api/v3/user') {
        const primary = user.emails.find((entry) => entry.primary)?.email ?? null;
        json(res, 200, { id: user.id, login: user.login, name: user.name, email: primary });
        return;
      }
      if (url.pathname === '/api/v3/user/emails') {
        json(res, 200, user.emails);
        return;
      }
      if (url.pathname === '/api/v3/user/orgs') {
        json(
          res,
          200,
          user.orgs.map(({ id, login }) => ({ login, id })),
        );
        return;
      }
    }
    json(res, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
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
