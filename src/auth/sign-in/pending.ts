import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { fromBase64Url, toBase64Url } from '../../lib/base64url';
import type { AppEnv } from '../env';
import { sessionKey } from '../session';
import type { UpstreamId } from './upstream';

type AppContext = Context<{ Bindings: AppEnv }>;

/**
 * A sign-in through a provider that is not part of an authorization (the landing page's "Sign
 * in"): what the callback needs, kept in this browser. The library's `beginUpstream` needs an
 * authorization request, so this is our own equivalent: a random `state`, `nonce` and PKCE
 * verifier in an HMAC-signed `__Host-` cookie that expires in 10 minutes and is removed at the
 * first callback, so the state works once and only in the browser that started the sign-in.
 */
export interface PendingSignIn {
  method: UpstreamId;
  state: string;
  verifier: string;
  nonce: string;
  /** Where to go after signing in: a path on this server. */
  returnTo: string;
}

interface PendingPayload extends PendingSignIn {
  exp: number;
}

const PENDING_COOKIE = 'upstream-signin';
const PENDING_TTL_SECONDS = 10 * 60;
const encoder = new TextEncoder();

export async function startPendingSignIn(c: AppContext, pending: PendingSignIn): Promise<void> {
  const payload: PendingPayload = { ...pending, exp: Math.floor(Date.now() / 1000) + PENDING_TTL_SECONDS };
  const data = toBase64Url(encoder.encode(JSON.stringify(payload)));
  const key = await sessionKey(c.env);
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`signin.${data}`)));
  setCookie(c, PENDING_COOKIE, `${data}.${toBase64Url(signature)}`, {
    prefix: 'host',
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: PENDING_TTL_SECONDS,
  });
}

/**
 * The pending sign-in this callback belongs to, or `null`: no cookie, a bad signature, expired,
 * another method, or another `state`. A cookie that is present is removed either way: a pending
 * sign-in gets one callback, so a wrong `state` cannot be followed by guesses at the right one.
 */
export async function takePendingSignIn(
  c: AppContext,
  method: UpstreamId,
  state: string | null,
): Promise<PendingSignIn | null> {
  const cookie = getCookie(c, PENDING_COOKIE, 'host');
  if (!cookie) return null;
  deleteCookie(c, PENDING_COOKIE, { prefix: 'host', secure: true, path: '/' });
  const [data, signature] = cookie.split('.');
  if (!data || !signature) return null;
  const bytes = fromBase64Url(signature);
  const key = await sessionKey(c.env);
  if (!bytes || !(await crypto.subtle.verify('HMAC', key, bytes, encoder.encode(`signin.${data}`))))
    return null;
  const json = fromBase64Url(data);
  if (!json) return null;
  let payload: PendingPayload;
  try {
    payload = JSON.parse(new TextDecoder().decode(json)) as PendingPayload;
  } catch {
    return null;
  }
  if (payload.method !== method || typeof state !== 'string' || payload.state !== state) return null;
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) return null;
  return {
    method: payload.method,
    state: payload.state,
    verifier: payload.verifier,
    nonce: payload.nonce,
    returnTo: payload.returnTo,
  };
}
