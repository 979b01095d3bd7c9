import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { randomToken } from '../lib/base64url';
import { isLoopbackHostname } from '../lib/hosts';
import { open, sameSecret, seal } from '../lib/keys';
import type { AppContext, AppEnv } from './env';
import { isSignedInUser, type SignedInUser, signedInUser } from './props';
import { isSignInMethodEnabled } from './sign-in/methods';

/** How long a browser stays signed in. */
export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

const SESSION_COOKIE = 'session';

/**
 * What keeps this request's host from signing sessions, or `null`. A public host needs
 * `SESSION_SECRET`: the random secret src/lib/keys.ts otherwise keeps in KV is for `wrangler dev`
 * only, since anyone who can read the KV namespace could forge sessions with it, and two isolates
 * can create different ones at once. Checked before any route runs (src/index.ts, and
 * src/auth/app.tsx for our pages), so that a deployment without it says so at its first request.
 */
export function sessionSecretProblem(env: AppEnv, url: URL): string | null {
  if (env.SESSION_SECRET || isLoopbackHostname(url.hostname)) return null;
  return 'SESSION_SECRET is not set. On a public host it signs the sessions: set a random value with `npx wrangler secret put SESSION_SECRET` (for example the output of `openssl rand -base64 32`).';
}

/**
 * The signed-in user of this browser, or `null`: no cookie, a bad signature, expired, or made by
 * a sign-in method that is off now (the demo sign-in turned off, a provider no longer
 * configured). Every page reads the session here, so turning a method off signs out everyone it
 * signed in, at once rather than when their cookies expire.
 */
export async function readSession(c: AppContext): Promise<SignedInUser | null> {
  const user = await open(c.env, 'session', getCookie(c, SESSION_COOKIE, 'host'));
  if (!isSignedInUser(user)) return null;
  if (!isSignInMethodEnabled(c.env, new URL(c.req.url), user.provider)) return null;
  return signedInUser(user);
}

/**
 * Signs `user` in on this browser: a signed `__Host-` cookie that expires (src/lib/keys.ts
 * `seal`; the expiry is checked when it is read, not left to the browser). It holds the identity
 * only, never an identity provider's token.
 */
export async function startSession(c: AppContext, user: SignedInUser): Promise<void> {
  setCookie(c, SESSION_COOKIE, await seal(c.env, 'session', signedInUser(user), SESSION_TTL_SECONDS), {
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
 * so a browser sends `Origin: null` for their forms; that alone proves nothing either way. The
 * comparison takes constant time; only the length could show, and a token is always 43 characters.
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
 * Whether a request shows a sign of coming from another site: `Sec-Fetch-Site` other than
 * same-origin or none, or an `Origin` other than ours (`null`, from our no-referrer pages, is not).
 */
export function isCrossSite(c: AppContext): boolean {
  const fetchSite = c.req.header('Sec-Fetch-Site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = c.req.header('Origin');
  return origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin;
}
