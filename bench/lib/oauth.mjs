import { createHash, randomBytes } from 'node:crypto';

/**
 * OAuth without a browser, for the benchmark: the requests a browser and an OAuth client make
 * against our server (RFC 7591 registration, authorization code with PKCE S256, the demo
 * sign-in form, the consent form, the token request), with the `__Host-` cookies carried by hand
 * (fetch would drop them: they are `Secure` and the server is plain http on 127.0.0.1).
 */

/** The loopback redirect URI every bench client registers; it is never contacted. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** A tiny cookie jar for one origin: name → value, from Set-Cookie headers. */
export class CookieJar {
  constructor() {
    /** @type {Map<string, string>} */
    this.cookies = new Map();
  }

  /** @param {Response} response */
  store(response) {
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

  /** A copy: the session cookies, without what one flow added. */
  clone() {
    const copy = new CookieJar();
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** The value of `<input … name="NAME" value="…">` in an HTML page (first match). */
export function hiddenField(html, name) {
  for (const tag of html.match(/<input\b[^>]*>/g) ?? []) {
    if (!new RegExp(`\\bname="${name}"`).test(tag)) continue;
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1];
    if (value !== undefined) return decodeEntities(value);
  }
  return undefined;
}

function decodeEntities(text) {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

async function expectStatus(response, expected, step) {
  if (expected.includes(response.status)) return;
  const body = await response.text().catch(() => '');
  throw new Error(
    `${step}: HTTP ${response.status} (expected ${expected.join(' or ')})\n${body.slice(0, 1000)}`,
  );
}

/** POST /oauth/register: a public client with a loopback redirect URI. Returns its client_id. */
export async function registerClient(origin, name = 'bench') {
  const response = await fetch(`${origin}/oauth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  await expectStatus(response, [201, 200], 'client registration');
  const { client_id: clientId } = await response.json();
  if (typeof clientId !== 'string') throw new Error('client registration: no client_id');
  return clientId;
}

/** A PKCE S256 authorization request for `clientId`: its URL and the code verifier. */
function authorizationRequest(origin, clientId) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const url = new URL('/authorize', origin);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'mcp',
    state: randomBytes(16).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: origin,
  }).toString();
  return { url, verifier };
}

/**
 * Signs `email` in with the demo sign-in form (reached through an authorization request, as a
 * browser would) and returns a cookie jar holding the `__Host-session` cookie.
 */
export async function signIn(origin, email) {
  const jar = new CookieJar();
  const clientId = await registerClient(origin, 'bench sign-in');
  const { url } = authorizationRequest(origin, clientId);
  const page = await fetch(url, { redirect: 'manual' });
  await expectStatus(page, [200], 'sign-in page');
  jar.store(page);
  const html = await page.text();
  const csrf = hiddenField(html, 'csrf');
  if (!csrf) throw new Error(`sign-in page without a csrf field:\n${html.slice(0, 1000)}`);
  const response = await fetch(`${origin}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(), Origin: origin },
    body: new URLSearchParams({
      email,
      password: 'bench',
      csrf,
      return_to: hiddenField(html, 'return_to') ?? `${url.pathname}${url.search}`,
    }),
  });
  await expectStatus(response, [303, 302], 'sign-in');
  jar.store(response);
  if (!jar.cookies.has('__Host-session')) throw new Error('sign-in: no __Host-session cookie');
  return jar;
}

/**
 * The OAuth flow of a client whose user is already signed in (`sessionJar`): register → consent
 * page → approve → token. Four requests, the part a user waits for; returns the token response.
 */
export async function authorizeWithSession(origin, sessionJar, name = 'bench') {
  const jar = sessionJar.clone();
  const clientId = await registerClient(origin, name);
  const { url, verifier } = authorizationRequest(origin, clientId);
  const consent = await fetch(url, { redirect: 'manual', headers: { Cookie: jar.header() } });
  await expectStatus(consent, [200], 'consent page');
  jar.store(consent);
  const html = await consent.text();
  const handle = hiddenField(html, 'handle');
  if (!handle) throw new Error(`consent page without a handle:\n${html.slice(0, 1000)}`);
  const approval = await fetch(`${origin}/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(), Origin: origin },
    body: new URLSearchParams({
      handle,
      offer: hiddenField(html, 'offer') ?? '',
      decision: 'approve',
      scope: 'mcp',
    }),
  });
  await expectStatus(approval, [302, 303], 'consent approval');
  const location = new URL(approval.headers.get('Location') ?? '', origin);
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`consent approval: no code in the redirect (${location.search})`);
  const token = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
    }),
  });
  await expectStatus(token, [200], 'token request');
  const body = await token.json();
  if (typeof body.access_token !== 'string') throw new Error('token request: no access_token');
  return body;
}

/** An access token for `email`: sign in, then the flow. */
export async function obtainAccessToken(origin, email = 'bench@example.com') {
  const jar = await signIn(origin, email);
  const token = await authorizeWithSession(origin, jar);
  return token.access_token;
}
