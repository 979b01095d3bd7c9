import { createHash, randomBytes } from 'node:crypto';

/**
 * OAuth without a browser, against a running server: the requests a browser and an OAuth client
 * make (RFC 7591 registration, authorization code with PKCE S256, the demo sign-in form, the
 * consent form, the token request), with the `__Host-` cookies carried by hand (fetch would drop
 * them: they are `Secure` and the server is plain http on 127.0.0.1). The e2e tests and
 * `npm run bench` (which times {@link authorizeWithSession}) both use it.
 */

/** The loopback redirect URI clients register by default; it is never contacted. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface AccessToken {
  accessToken: string;
  refreshToken?: string;
  scope: string;
  expiresIn: number;
  clientId: string;
}

export interface TokenOptions {
  /** Demo sign-in email (any address works on a loopback host). */
  email?: string;
  /** Scopes to ask for; `mcp` by default. */
  scope?: string;
  /** The redirect URI to register; {@link REDIRECT_URI} by default. */
  redirectUri?: string;
  /** The client's name on the consent page. */
  clientName?: string;
  /**
   * A client already registered (with the same redirect URI): authorize it instead of registering
   * a new one, as an app does for each of its users.
   */
  clientId?: string;
}

/** A tiny cookie jar for one origin: name → value, from Set-Cookie headers. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const pair = header.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** A copy: the session cookies, without what one flow adds. */
  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** The value of `<input … name="NAME" value="…">` in an HTML page (first match). */
export function hiddenField(html: string, name: string): string | undefined {
  for (const tag of html.match(/<input\b[^>]*>/g) ?? []) {
    if (!new RegExp(`\\bname="${name}"`).test(tag)) continue;
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1];
    if (value !== undefined) return decodeEntities(value);
  }
  return undefined;
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

async function expectStatus(response: Response, expected: number[], step: string): Promise<void> {
  if (expected.includes(response.status)) return;
  const body = await response.text().catch(() => '');
  throw new Error(
    `${step}: HTTP ${response.status} (expected ${expected.join(' or ')})\n${body.slice(0, 2000)}`,
  );
}

/** POST /oauth/register: a public client with a loopback redirect URI. Returns its client id. */
export async function registerClient(origin: string, options: TokenOptions = {}): Promise<string> {
  const response = await fetch(`${origin}/oauth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_name: options.clientName ?? 'token helper',
      redirect_uris: [options.redirectUri ?? REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  await expectStatus(response, [201, 200], 'client registration');
  const { client_id: clientId } = (await response.json()) as { client_id?: unknown };
  if (typeof clientId !== 'string') throw new Error('client registration: no client_id');
  return clientId;
}

/** An authorization request with PKCE (S256) and the resource indicator (RFC 8707). */
function authorizationRequest(origin: string, clientId: string, options: TokenOptions) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL('/authorize', origin);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: options.redirectUri ?? REDIRECT_URI,
    scope: options.scope ?? 'mcp',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: origin,
  }).toString();
  return { url, verifier, state };
}

/**
 * Signs `email` in with the demo sign-in form of the start page (`/signin`, no client needed).
 * Returns a jar holding the `__Host-session` cookie.
 */
export async function signIn(origin: string, email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const page = await fetch(`${origin}/signin`, { redirect: 'manual' });
  await expectStatus(page, [200], `sign-in page (Location: ${page.headers.get('Location')})`);
  jar.store(page);
  const html = await page.text();
  const csrf = hiddenField(html, 'csrf');
  if (!csrf) throw new Error(`sign-in page without a csrf field:\n${html.slice(0, 2000)}`);
  const response = await fetch(`${origin}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(), Origin: origin },
    body: new URLSearchParams({
      csrf,
      return_to: hiddenField(html, 'return_to') ?? '/',
      email,
      password: 'any password',
    }),
  });
  await expectStatus(response, [303, 302], 'sign-in');
  jar.store(response);
  if (!jar.cookies.has('__Host-session')) throw new Error('sign-in: no __Host-session cookie');
  return jar;
}

/**
 * The OAuth flow of a client whose user already has a session (`sessionJar`): register → consent
 * page → approve → token, four requests (three with `options.clientId`). Returns the token response.
 */
export async function authorizeWithSession(
  origin: string,
  sessionJar: CookieJar,
  options: TokenOptions = {},
): Promise<AccessToken> {
  const jar = sessionJar.clone();
  const scope = options.scope ?? 'mcp';
  const clientId = options.clientId ?? (await registerClient(origin, options));
  const { url, verifier, state } = authorizationRequest(origin, clientId, options);

  const consent = await fetch(url, { redirect: 'manual', headers: { Cookie: jar.header() } });
  await expectStatus(consent, [200], 'consent page');
  jar.store(consent);
  const html = await consent.text();
  const handle = hiddenField(html, 'handle');
  if (!handle) throw new Error(`consent page without a handle:\n${html.slice(0, 2000)}`);

  // Allow, with the page's signed offer of scopes and every asked scope ticked.
  const approval = await fetch(`${origin}/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(), Origin: origin },
    body: new URLSearchParams([
      ['handle', handle],
      ['offer', hiddenField(html, 'offer') ?? ''],
      ['decision', 'approve'],
      ...scope.split(' ').map((name) => ['scope', name]),
    ]),
  });
  await expectStatus(approval, [302, 303], 'consent approval');
  const location = new URL(approval.headers.get('Location') ?? '', origin);
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`consent approval redirected without a code: ${location.href}`);
  if (location.searchParams.get('state') !== state)
    throw new Error('consent approval returned another state');

  const response = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: options.redirectUri ?? REDIRECT_URI,
      client_id: clientId,
      code_verifier: verifier,
      resource: origin,
    }),
  });
  await expectStatus(response, [200], 'token request');
  const token = (await response.json()) as {
    access_token?: unknown;
    refresh_token?: string;
    scope: string;
    expires_in: number;
  };
  if (typeof token.access_token !== 'string') throw new Error('token request: no access_token');
  return {
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    scope: token.scope,
    expiresIn: token.expires_in,
    clientId,
  };
}

/** An access token for `options.email`: the demo sign-in, then {@link authorizeWithSession}. */
export async function obtainAccessToken(origin: string, options: TokenOptions = {}): Promise<AccessToken> {
  const jar = await signIn(origin, options.email ?? 'conformance@example.com');
  return authorizeWithSession(origin, jar, { clientName: 'e2e token helper', ...options });
}
