import { AuthorizationError, type ResumedUpstream } from '@cloudflare/workers-oauth-provider';
import { Hono } from 'hono/tiny';
import { safeReturnTo } from '../../lib/return-to';
import { ErrorPage } from '../../pages/error';
import type { AppEnv } from '../env';
import {
  beginStandaloneSignIn,
  expiredSignIn,
  finishSignIn,
  logFailure,
  SIGN_IN_WITH,
  type UpstreamData,
} from './flow';
import { configuredUpstream } from './methods';
import { takePendingSignIn } from './pending';

/**
 * The provider's callback for both kinds of sign-in: a pending sign-in of ours when this browser
 * holds one for this `state`, otherwise an authorization's (`finishUpstream`, which refuses a
 * missing, unknown, used, expired or foreign-browser `state`).
 */
export const signInRoutes = new Hono<{ Bindings: AppEnv }>();

/**
 * "Continue with <provider>" on the sign-in page, a link rather than a form: a form's CSP
 * `form-action` would have to name every provider the redirect may reach. Part of an
 * authorization, it goes back to the consent page (the provider comes after Allow); otherwise it
 * starts a sign-in of its own. Starting one from another site only sends the user to sign in as
 * themselves, in a sign-in bound to their own browser.
 */
signInRoutes.get('/signin/:method', async (c) => {
  const method = configuredUpstream(c.env, c.req.param('method'));
  if (!method) {
    return c.html(<ErrorPage title="Not found" message="This sign-in method is not configured." />, 404);
  }
  const returnTo = safeReturnTo(c.req.query('return_to'));
  const next = new URL(returnTo, c.req.url);
  if (next.pathname === '/authorize') {
    next.searchParams.set(SIGN_IN_WITH, method.id);
    return c.redirect(`${next.pathname}${next.search}`, 303);
  }
  return beginStandaloneSignIn(c, method, returnTo);
});

signInRoutes.get('/signin/:method/callback', async (c) => {
  const method = configuredUpstream(c.env, c.req.param('method'));
  if (!method) {
    return c.html(<ErrorPage title="Not found" message="This sign-in method is not configured." />, 404);
  }
  const url = new URL(c.req.url);
  const state = url.searchParams.get('state');
  const pending = await takePendingSignIn(c, method.id, state);
  if (pending) {
    return finishSignIn(c, method, url, pending, null);
  }
  let resumed: ResumedUpstream<UpstreamData>;
  try {
    resumed = await c.env.OAUTH_PROVIDER.finishUpstream<UpstreamData>(c.req.raw);
  } catch (error) {
    if (!(error instanceof AuthorizationError)) throw error;
    logFailure(method.id, `state refused: ${error.description}`);
    return expiredSignIn(c);
  }
  for (const cookie of resumed.headers.getSetCookie()) c.header('Set-Cookie', cookie, { append: true });
  if (resumed.data?.method !== method.id || !state) {
    logFailure(method.id, 'state of another sign-in method');
    return expiredSignIn(c);
  }
  return finishSignIn(c, method, url, { state, ...resumed.data }, resumed);
});
