import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';

/** An app's loopback redirect target (RFC 8252 §7.3): records every callback the browser brings. */
export interface CallbackServer {
  /** `http://127.0.0.1:PORT/callback` */
  redirectUri: string;
  /** The next callback request's URL (or the first one not yet taken). */
  next: () => Promise<URL>;
  close: () => Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const received: URL[] = [];
  const waiters: Array<(url: URL) => void> = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      response.writeHead(404).end();
      return;
    }
    const full = new URL(url.pathname + url.search, redirectUri);
    const waiter = waiters.shift();
    if (waiter) waiter(full);
    else received.push(full);
    const failed = url.searchParams.has('error');
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><title>Test app</title><h1>${failed ? 'Authorization failed' : 'Authorization complete'}</h1>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  return {
    redirectUri,
    next: () => {
      const ready = received.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The OAuth side of a test MCP client for the SDK's transports: a public client (PKCE, no secret)
 * that registers itself (RFC 7591), keeps everything in memory, and records the authorization URL
 * the SDK wants the user sent to instead of opening a browser itself.
 */
export class MemoryOAuthProvider implements OAuthClientProvider {
  /** Where the SDK sent the user last (the test opens it in Chromium). */
  authorizationUrl: URL | undefined;
  readonly expectedState = randomBytes(16).toString('base64url');
  #client: StoredOAuthClientInformation | undefined;
  #tokens: StoredOAuthTokens | undefined;
  #verifier: string | undefined;
  #discovery: OAuthDiscoveryState | undefined;
  readonly #redirectUri: string;
  readonly #clientName: string;

  constructor(redirectUri: string, clientName: string) {
    this.#redirectUri = redirectUri;
    this.#clientName = clientName;
  }

  get redirectUrl(): string {
    return this.#redirectUri;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.#clientName,
      redirect_uris: [this.#redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    return this.expectedState;
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.#client;
  }

  saveClientInformation(client: StoredOAuthClientInformation): void {
    this.#client = client;
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.#tokens = tokens;
  }

  redirectToAuthorization(authorizationUrl: URL): void {
    this.authorizationUrl = authorizationUrl;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#verifier) throw new Error('No PKCE code verifier saved');
    return this.#verifier;
  }

  /** Kept so the callback leg is checked against the authorization server discovered (SEP-2352). */
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#verifier = undefined;
  }
}

/**
 * An access token for `origin`, obtained without a browser and without any MCP client: dynamic
 * registration, then the same pages a person would use (sign-in form, consent form), submitted
 * with plain `fetch` and a minimal cookie jar, then the code exchange with PKCE. For tests
 * that need a token to hand to another client (the Inspector CLI) or two users at once.
 */
export async function obtainToken(origin: string, email: string): Promise<string> {
  const redirectUri = 'http://127.0.0.1:9/callback'; // never followed: the code is read from Location
  const registration = await expectJson(
    await fetch(`${origin}/oauth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_name: 'E2E token helper',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    }),
    201,
    'client registration',
  );
  const clientId = String(registration.client_id);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL('/authorize', origin);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'mcp',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: origin,
  }).toString();

  const jar = new CookieJar();
  const signInPage = await jar.fetch(authorize.href);
  const signInForm = hiddenInputs(await expectPage(signInPage, 'the sign-in page'));
  const signedIn = await jar.fetch(`${origin}/signin`, {
    method: 'POST',
    body: new URLSearchParams({
      csrf: signInForm.get('csrf') ?? '',
      return_to: signInForm.get('return_to') ?? '',
      email,
      password: 'any password works',
    }),
  });
  const back = signedIn.headers.get('Location');
  if (signedIn.status !== 303 || !back) throw new Error(`Sign-in did not redirect: ${signedIn.status}`);
  const consentPage = await jar.fetch(new URL(back, origin).href);
  const consentForm = hiddenInputs(await expectPage(consentPage, 'the consent page'));
  const approved = await jar.fetch(`${origin}/authorize`, {
    method: 'POST',
    body: new URLSearchParams({ handle: consentForm.get('handle') ?? '', scope: 'mcp', decision: 'approve' }),
  });
  const location = approved.headers.get('Location');
  if (approved.status !== 302 || !location) throw new Error(`Consent did not redirect: ${approved.status}`);
  const callback = new URL(location);
  if (callback.searchParams.get('state') !== state) throw new Error(`State mismatch in ${location}`);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`No code in ${location}`);
  const tokens = await expectJson(
    await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
        resource: origin,
      }),
    }),
    200,
    'token exchange',
  );
  if (typeof tokens.access_token !== 'string') throw new Error('The token response has no access_token');
  return tokens.access_token;
}

/** Cookies by name, sent back on every request; redirects are not followed. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0) {
      headers.set('Cookie', [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const equals = pair.indexOf('=');
      if (equals > 0) this.#cookies.set(pair.slice(0, equals).trim(), pair.slice(equals + 1).trim());
    }
    return response;
  }
}

/** The hidden inputs of a page's forms, by name (the last one wins). */
function hiddenInputs(html: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    if (!/\btype="hidden"/.test(tag)) continue;
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1];
    if (name !== undefined && value !== undefined) fields.set(name, decodeEntities(value));
  }
  return fields;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

async function expectPage(response: Response, what: string): Promise<string> {
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`Expected ${what}, got ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

async function expectJson(
  response: Response,
  status: number,
  what: string,
): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${what} failed with ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}
