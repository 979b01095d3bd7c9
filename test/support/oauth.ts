import { expect } from 'vitest';
import { Browser, type Fetcher, hiddenField, ORIGIN, send } from './browser';

export const REDIRECT_URI = 'http://127.0.0.1:33418/callback';

export interface RegisteredClient {
  client_id: string;
  client_name?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  resource?: string;
}

/**
 * POST /oauth/register (RFC 7591) with `metadata` as the JSON body; the raw response. With
 * `address`, it comes from that client address (`CF-Connecting-IP`), for files that register
 * more clients than one address may.
 */
export function register(metadata: Record<string, unknown>, address?: string): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (address) headers['CF-Connecting-IP'] = address;
  return send('/oauth/register', { method: 'POST', headers, body: JSON.stringify(metadata) });
}

/** Registers a public client (PKCE, no secret) the way mcp-remote and the Inspector do. */
export async function registerClient(
  overrides: Record<string, unknown> = {},
  address?: string,
): Promise<RegisteredClient> {
  const response = await register(
    {
      client_name: 'Test client',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...overrides,
    },
    address,
  );
  expect(response.status).toBe(201);
  return (await response.json()) as RegisteredClient;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** A fresh PKCE pair with the S256 method (RFC 7636 §4.2). */
export async function pkce(): Promise<Pkce> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  return { verifier, challenge: await s256(verifier) };
}

export async function s256(text: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

/** The path of an authorization request (OAuth 2.1 §4.1.1) with every parameter a client sends. */
export function authorizePath(
  client: RegisteredClient,
  challenge: string | null,
  options: {
    state?: string;
    redirectUri?: string;
    method?: string;
    resource?: string;
    extra?: Record<string, string>;
  } = {},
): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: options.redirectUri ?? client.redirect_uris[0] ?? REDIRECT_URI,
    state: options.state ?? 'state-123',
    scope: 'mcp',
    resource: options.resource ?? ORIGIN,
  });
  if (challenge !== null) {
    params.set('code_challenge', challenge);
    params.set('code_challenge_method', options.method ?? 'S256');
  }
  for (const [name, value] of Object.entries(options.extra ?? {})) params.set(name, value);
  return `/authorize?${params}`;
}

/**
 * Signs `browser` in with the demo method through the sign-in page at `path` (GET shows the
 * form, POST sends it with the page's CSRF field); returns the POST's response (303 back).
 */
export async function signIn(browser: Browser, path: string, email = 'ada@example.com'): Promise<Response> {
  const page = await browser.get(path);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  return browser.postForm('/signin', {
    csrf: hiddenField(html, 'csrf'),
    return_to: hiddenField(html, 'return_to'),
    email,
    password: 'correct horse battery staple',
  });
}

/** The hidden fields a consent form posts back: its handle and the signed offer (scopes, the app's name). */
export interface ConsentForm {
  handle: string;
  offer: string;
}

/** The hidden fields of the consent page in `html`. */
export function consentFormOf(html: string): ConsentForm {
  return { handle: hiddenField(html, 'handle'), offer: hiddenField(html, 'offer') };
}

/** The consent page for an authorization request, in a browser that is signed in. */
export async function consentPage(browser: Browser, path: string): Promise<ConsentForm & { html: string }> {
  const page = await browser.get(path);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  return { html, ...consentFormOf(html) };
}

/** Answers the consent page with Allow or Deny, with the scopes left ticked (`mcp` by default). */
export function decide(
  browser: Browser,
  form: ConsentForm,
  decision: 'approve' | 'deny',
  scopes: string[] = ['mcp'],
): Promise<Response> {
  return browser.postForm('/authorize', { handle: form.handle, offer: form.offer, scope: scopes, decision });
}

/** The redirect back to the client after consent, as a URL. */
export function redirectOf(response: Response): URL {
  expect(response.status).toBe(302);
  const location = response.headers.get('Location');
  if (!location) throw new Error('302 without a Location');
  return new URL(location);
}

/** POST /oauth/token with `fields` as the form body; the raw response. */
export function tokenRequest(fields: Record<string, string>, fetcher?: Fetcher): Promise<Response> {
  return send(
    '/oauth/token',
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    },
    undefined,
    fetcher,
  );
}

/** RFC 7009 revocation of `token` by `client`; an access token, or a refresh token (which ends its grant). */
export function revokeWith(
  client: RegisteredClient,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<Response> {
  return tokenRequest({ token, token_type_hint: hint, client_id: client.client_id });
}

/** Redeems `code` as `client` would, with its PKCE verifier (through `fetcher` if given). */
export function exchangeCode(
  client: RegisteredClient,
  code: string,
  verifier: string,
  fetcher?: Fetcher,
  resource = ORIGIN,
): Promise<Response> {
  return tokenRequest(
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirect_uris[0] ?? REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: verifier,
      resource,
    },
    fetcher,
  );
}

/** Uses `refreshToken` as `client` would, to get new tokens (through `fetcher` if given). */
export function refreshWith(
  client: { client_id: string },
  refreshToken: string,
  fetcher?: Fetcher,
): Promise<Response> {
  return tokenRequest(
    { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.client_id },
    fetcher,
  );
}

/** An approved authorization for a new client: its code and PKCE verifier, not yet exchanged. */
export async function approvedCode(email = 'ada@example.com') {
  const client = await registerClient();
  const browser = new Browser();
  const { verifier, challenge } = await pkce();
  const path = authorizePath(client, challenge);
  await signIn(browser, path, email);
  const consent = await consentPage(browser, path);
  const code = redirectOf(await decide(browser, consent, 'approve')).searchParams.get('code') ?? '';
  return { client, code, verifier, browser };
}

export interface Connection {
  client: RegisteredClient;
  browser: Browser;
  tokens: Tokens;
}

/** Which scopes an app asks for, and which of them the user leaves ticked on the consent page. */
export interface ScopeChoice {
  /** The authorization request's scopes; `['mcp']` by default. */
  request?: string[];
  /** The scopes the user approves; all of `request` by default. */
  grant?: string[];
  /** The resource indicator (RFC 8707) sent to authorize and token; the origin by default. */
  resource?: string;
}

/**
 * The whole authorization code flow for `email`, as a client and a browser do it: register,
 * authorize, sign in, approve, exchange the code with PKCE.
 */
export async function connect(email = 'ada@example.com', scopes: ScopeChoice = {}): Promise<Connection> {
  const client = await registerClient();
  const browser = new Browser();
  const { verifier, challenge } = await pkce();
  const requested = scopes.request ?? ['mcp'];
  const resource = scopes.resource ?? ORIGIN;
  const path = authorizePath(client, challenge, { resource, extra: { scope: requested.join(' ') } });
  expect((await signIn(browser, path, email)).status).toBe(303);
  const consent = await consentPage(browser, path);
  const approved = await decide(browser, consent, 'approve', scopes.grant ?? requested);
  const code = redirectOf(approved).searchParams.get('code');
  if (!code) throw new Error('No code in the redirect');
  const response = await exchangeCode(client, code, verifier, undefined, resource);
  expect(response.status).toBe(200);
  return { client, browser, tokens: (await response.json()) as Tokens };
}

/** A fresh access token for `email`, with the given scopes (`mcp` alone by default). */
export async function accessToken(email = 'ada@example.com', scopes: string[] = ['mcp']): Promise<string> {
  return (await connect(email, { request: scopes })).tokens.access_token;
}

/** Every scope this server has: the baseline and both notes scopes. */
export const ALL_SCOPES = ['mcp', 'notes:read', 'notes:write'];

/**
 * A new client's authorization that signs in with the identity provider `provider`, in `browser`:
 * the consent page (checked to show), approved with `scope`. Allow sends the browser to the
 * provider: `providerUrl` is where (its `state`, `nonce`…), for the test to play the provider.
 */
export async function approveWithProvider(browser: Browser, provider: string, scope = 'mcp') {
  const client = await registerClient();
  const { verifier, challenge } = await pkce();
  const consent = await browser.get(`${authorizePath(client, challenge)}&sign_in_with=${provider}`);
  const html = await consent.text();
  expect(consent.status, html).toBe(200);
  const approved = await browser.postForm('/authorize', {
    ...consentFormOf(html),
    scope,
    decision: 'approve',
    sign_in_with: provider,
  });
  return { client, verifier, html, approved, providerUrl: new URL(approved.headers.get('Location') ?? '') };
}
