import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { fromBase64Url, randomToken, toBase64Url } from '../lib/base64url';
import { BoundedMap } from '../lib/bounded-map';
import { isLoopbackHostname } from '../lib/hosts';
import type { AppEnv } from './env';
import { type SignedInUser, signedInUser } from './props';
import { isSignInMethodEnabled } from './sign-in/methods';

/** How long a browser stays signed in. */
export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

const SESSION_COOKIE = 'session';
const SECRET_KV_KEY = 'config:session-secret';

interface SessionPayload extends SignedInUser {
  /** Expiry, seconds since the epoch: checked here, not left to the browser. */
  exp: number;
}

type AppContext = Context<{ Bindings: AppEnv }>;

const encoder = new TextEncoder();
const keys = new BoundedMap<string, Promise<CryptoKey>>(4);

/**
 * What keeps this request's host from signing sessions, or `null`. A public host needs
 * `SESSION_SECRET`: the random key {@link sessionKey} otherwise keeps in KV is for `wrangler dev`
 * only, since anyone who can read the KV namespace could forge sessions with it, and two isolates
 * can create different ones at once. Checked before any route runs (src/index.ts, and
 * src/auth/app.tsx for our pages), so that a deployment without it says so at its first request.
 */
export function sessionSecretProblem(env: AppEnv, url: URL): string | null {
  if (env.SESSION_SECRET || isLoopbackHostname(url.hostname)) return null;
  return 'SESSION_SECRET is not set. On a public host it signs the sessions: set a random value with `npx wrangler secret put SESSION_SECRET` (for example the output of `openssl rand -base64 32`).';
}

/**
 * The HMAC key that signs session cookies: `SESSION_SECRET` when set, otherwise a random secret
 * created on first use and kept in KV, so local development needs no secret configured. Only a
 * loopback host gets this far without `SESSION_SECRET` ({@link sessionSecretProblem}).
 */
export function sessionKey(env: AppEnv): Promise<CryptoKey> {
  const configured = env.SESSION_SECRET;
  const cacheKey = configured ?? '';
  let key = keys.get(cacheKey);
  if (!key) {
    key = loadSecret(env).then((secret) =>
      crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
        'verify',
      ]),
    );
    key.catch(() => keys.delete(cacheKey));
    keys.set(cacheKey, key);
  }
  return key;
}

async function loadSecret(env: AppEnv): Promise<string> {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  const stored = await env.OAUTH_KV.get(SECRET_KV_KEY);
  if (stored) return stored;
  const created = randomToken(32);
  await env.OAUTH_KV.put(SECRET_KV_KEY, created);
  return created;
}

async function sign(key: CryptoKey, data: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data))));
}

async function verify(key: CryptoKey, data: string, signature: string): Promise<boolean> {
  const bytes = fromBase64Url(signature);
  return bytes !== null && crypto.subtle.verify('HMAC', key, bytes, encoder.encode(data));
}

/**
 * An HMAC of `data` with the session key, for values a page hands the browser and reads back
 * unchanged. `purpose` separates uses, so a value signed for one can never pass as another.
 */
export async function signFor(env: AppEnv, purpose: string, data: string): Promise<string> {
  return sign(await sessionKey(env), `${purpose}.${data}`);
}

/** Whether `signature` is {@link signFor}'s for this purpose and data. */
export async function verifyFor(
  env: AppEnv,
  purpose: string,
  data: string,
  signature: string,
): Promise<boolean> {
  return verify(await sessionKey(env), `${purpose}.${data}`, signature);
}

/**
 * The signed-in user of this browser, or `null`: no cookie, a bad signature, expired, or made by
 * a sign-in method that is off now (the demo sign-in turned off, a provider no longer
 * configured). Every page reads the session here, so turning a method off signs out everyone it
 * signed in, at once rather than when their cookies expire.
 */
export async function readSession(c: AppContext): Promise<SignedInUser | null> {
  const cookie = getCookie(c, SESSION_COOKIE, 'host');
  if (!cookie) return null;
  const [data, signature] = cookie.split('.');
  if (!data || !signature) return null;
  if (!(await verify(await sessionKey(c.env), `session.${data}`, signature))) return null;
  const json = fromBase64Url(data);
  if (!json) return null;
  try {
    const payload = JSON.parse(new TextDecoder().decode(json)) as SessionPayload;
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) return null;
    if (!isSignInMethodEnabled(c.env, new URL(c.req.url), payload.provider)) return null;
    return signedInUser(payload);
  } catch {
    return null;
  }
}

/**
 * Signs `user` in on this browser: a signed, expiring `__Host-` cookie. It holds the identity
 * only, never an identity provider's token.
 */
export async function startSession(c: AppContext, user: SignedInUser): Promise<void> {
  const payload: SessionPayload = {
    ...signedInUser(user),
    exp: Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS,
  };
  const data = toBase64Url(encoder.encode(JSON.stringify(payload)));
  const signature = await sign(await sessionKey(c.env), `session.${data}`);
  setCookie(c, SESSION_COOKIE, `${data}.${signature}`, {
    prefix: 'host',
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: SESSION_TTL_SECONDS,
  });
}

export function endSession(c: AppContext): void {
  deleteCookie(c, SESSION_COOKIE, { prefix: 'host', secure: true, path: '/' });
}

const CSRF_COOKIE = 'csrf';

/**
 * The CSRF token for this browser's forms (double submit): a random value in a `__Host-`
 * cookie, which another site can neither read nor set, repeated in a hidden field.
 */
export function csrfToken(c: AppContext): string {
  const existing = getCookie(c, CSRF_COOKIE, 'host');
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken(32);
  setCookie(c, CSRF_COOKIE, token, { prefix: 'host', httpOnly: true, sameSite: 'Lax', maxAge: 60 * 60 * 24 });
  return token;
}

/**
 * Whether a form post comes from our own page: the hidden token equal to the cookie, and no sign
 * of another site (`Sec-Fetch-Site`, or an `Origin` other than ours). Our pages send no referrer,
 * so a browser sends `Origin: null` for their forms; that alone proves nothing either way.
 */
export function isSameSiteForm(c: AppContext, formToken: unknown): boolean {
  if (isCrossSite(c)) return false;
  const cookie = getCookie(c, CSRF_COOKIE, 'host');
  return (
    typeof formToken === 'string' &&
    cookie !== undefined &&
    cookie.length > 0 &&
    sameSecret(formToken, cookie)
  );
}

/**
 * Whether two secrets are equal, in time that does not depend on where they differ (Workers'
 * `crypto.subtle.timingSafeEqual`), as the HMAC checks above are. Only the length can show, and
 * a CSRF token's length is no secret: it is always 43 characters.
 */
function sameSecret(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

/**
 * Whether a request shows a sign of coming from another site: `Sec-Fetch-Site` other than
 * same-origin or none, or an `Origin` other than ours (`null`, from our no-referrer pages, is not).
 */
export function isCrossSite(c: AppContext): boolean {
  const fetchSite = c.req.header('Sec-Fetch-Site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = c.req.header('Origin');
  return origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin;
}
