import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { open, seal } from '../../lib/keys';
import type { AppContext } from '../env';

/**
 * A sign-in through a provider that is not part of an authorization (the landing page's "Sign
 * in"): what the callback needs, kept in this browser. The library's `beginUpstream` needs an
 * authorization request, so this is our own equivalent: a random `state`, `nonce` and PKCE
 * verifier in a signed `__Host-` cookie (src/lib/keys.ts `seal`) that expires in 10 minutes and is removed at the
 * first callback, so the state works once and only in the browser that started the sign-in.
 */
export interface PendingSignIn {
  /** The provider's id (`oidc`, `github`…). */
  method: string;
  state: string;
  verifier: string;
  nonce: string;
  /** Where to go after signing in: a path on this server. */
  returnTo: string;
  /**
   * Not a sign-in but a link (./linking.tsx): the account goes to this grant, and the browser's
   * session stays as it is.
   */
  link?: PendingLink;
}

/** The grant a link started for (from its ticket, ./link-ticket.ts). */
export interface PendingLink {
  grantUserId: string;
  grantId: string;
}

const PENDING_COOKIE = 'upstream-signin';
const PENDING_TTL_SECONDS = 10 * 60;

export async function startPendingSignIn(c: AppContext, pending: PendingSignIn): Promise<void> {
  setCookie(c, PENDING_COOKIE, await seal(c.env, 'pending-sign-in', pending, PENDING_TTL_SECONDS), {
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
  method: string,
  state: string | null,
): Promise<PendingSignIn | null> {
  const cookie = getCookie(c, PENDING_COOKIE, 'host');
  if (!cookie) return null;
  deleteCookie(c, PENDING_COOKIE, { prefix: 'host', secure: true, path: '/' });
  const kept = await open(c.env, 'pending-sign-in', cookie);
  if (typeof kept !== 'object' || kept === null) return null;
  const pending = kept as Record<keyof PendingSignIn, unknown>;
  if (pending.method !== method || typeof state !== 'string' || pending.state !== state) return null;
  if (
    typeof pending.verifier !== 'string' ||
    typeof pending.nonce !== 'string' ||
    typeof pending.returnTo !== 'string'
  ) {
    return null;
  }
  const taken: PendingSignIn = {
    method,
    state,
    verifier: pending.verifier,
    nonce: pending.nonce,
    returnTo: pending.returnTo,
  };
  const link = pending.link as Partial<PendingLink> | undefined;
  if (link !== undefined) {
    if (typeof link.grantUserId !== 'string' || typeof link.grantId !== 'string') return null;
    taken.link = { grantUserId: link.grantUserId, grantId: link.grantId };
  }
  return taken;
}
