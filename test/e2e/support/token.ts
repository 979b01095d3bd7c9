import { createHash, randomBytes } from 'node:crypto';

/**
 * An access token for a running server, obtained without a browser: the same requests a browser
 * and an OAuth client make (RFC 7591 registration, authorization code with PKCE, the demo
 * sign-in form, the consent form, the token request), with cookies carried by hand.
 */
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
  /** The redirect URI to register; a loopback URI that is never contacted by default. */
  redirectUri?: string;
}

/** A tiny cookie jar: name → value, from Set-Cookie headers (a test talks to one origin). */
class CookieJar {
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

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** The value of `<input … name="NAME" value="…">` in an HTML page (first match). */
function hiddenField(html: string, name: string): string | undefined {
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

/** Registers a public client, signs in with the demo form, approves consent, and redeems the code. */
export async function obtainAccessToken(origin: string, options: TokenOptions = {}): Promise<AccessToken> {
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:9/callback';
  const scope = options.scope ?? 'mcp';
  const email = options.email ?? 'conformance@example.com';
  const jar = new CookieJar();

  // 1. Dynamic client registration (RFC 7591), a public client.
  const registration = await fetch(`${origin}/oauth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_name: 'e2e token helper',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  await expectStatus(registration, [201, 200], 'client registration');
  const { client_id: clientId } = (await registration.json()) as { client_id: string };

  // 2. The authorization request, with PKCE (S256) and the resource indicator (RFC 8707).
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const state = base64url(randomBytes(16));
  const authorizeUrl = new URL('/authorize', origin);
  authorizeUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: origin,
  }).toString();
  const authorizePath = `${authorizeUrl.pathname}${authorizeUrl.search}`;

  // 3. Not signed in: the sign-in page, with its CSRF cookie and hidden field.
  const signInPage = await fetch(authorizeUrl, { redirect: 'manual' });
  await expectStatus(signInPage, [200], `sign-in page (Location: ${signInPage.headers.get('Location')})`);
  jar.store(signInPage);
  const signInHtml = await signInPage.text();
  const csrf = hiddenField(signInHtml, 'csrf');
  if (!csrf) throw new Error(`sign-in page without a csrf field:\n${signInHtml.slice(0, 2000)}`);

  // 4. The demo sign-in form.
  const signIn = await fetch(new URL('/signin', origin), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(), Origin: origin },
    body: new URLSearchParams({
      csrf,
      return_to: hiddenField(signInHtml, 'return_to') ?? authorizePath,
      email,
      password: 'any password',
    }),
  });
  await expectStatus(signIn, [303, 302], 'sign-in');
  jar.store(signIn);

  // 5. Signed in: the consent page, with its handle, its signed offer of scopes and consent cookie.
  const consentPage = await fetch(authorizeUrl, { redirect: 'manual', headers: { Cookie: jar.header() } });
  await expectStatus(consentPage, [200], 'consent page');
  jar.store(consentPage);
  const consentHtml = await consentPage.text();
  const handle = hiddenField(consentHtml, 'handle');
  if (!handle) throw new Error(`consent page without a handle:\n${consentHtml.slice(0, 2000)}`);

  // 6. Approve: the server redirects to the client with the code.
  const approval = await fetch(new URL('/authorize', origin), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(), Origin: origin },
    body: new URLSearchParams([
      ['handle', handle],
      ['offer', hiddenField(consentHtml, 'offer') ?? ''],
      ['decision', 'approve'],
      ...scope.split(' ').map((s) => ['scope', s]),
    ]),
  });
  await expectStatus(approval, [302, 303], 'consent approval');
  const location = new URL(approval.headers.get('Location') ?? '', origin);
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`consent approval redirected without a code: ${location.href}`);
  if (location.searchParams.get('state') !== state)
    throw new Error('consent approval returned another state');

  // 7. Redeem the code.
  const tokenResponse = await fetch(new URL('/oauth/token', origin), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
      resource: origin,
    }),
  });
  await expectStatus(tokenResponse, [200], 'token request');
  const token = (await tokenResponse.json()) as {
    access_token: string;
    refresh_token?: string;
    scope: string;
    expires_in: number;
  };
  return {
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    scope: token.scope,
    expiresIn: token.expires_in,
    clientId,
  };
}
