import {
  AuthorizationError,
  authorizationErrorRedirect,
  type ResumedUpstream,
} from '@cloudflare/workers-oauth-provider';
import type { Context } from 'hono';
import { Hono } from 'hono/tiny';
import { log } from '../../lib/log';
import { safeReturnTo } from '../../lib/return-to';
import { ErrorPage } from '../../pages/error';
import type { AppEnv } from '../env';
import { completeGrant } from '../grant';
import { grantUserId } from '../grant-user';
import type { Props, SignedInUser } from '../props';
import { startSession } from '../session';
import { checkAllowlist } from './allowlist';
import {
  beginStandaloneSignIn,
  callbackUrl,
  misconfiguredPage,
  SIGN_IN_WITH,
  type UpstreamData,
} from './flow';
import { finishLink } from './linking';
import { configuredUpstream, prepareUpstream } from './methods';
import { type PendingLink, takePendingSignIn } from './pending';
import type { Provider, ProviderId } from './providers';
import { AccountRefused, ConfigurationProblem, SignInFailure, type UpstreamIdentity } from './upstream';

type AppContext = Context<{ Bindings: AppEnv }>;

function userOf(id: ProviderId, identity: UpstreamIdentity): SignedInUser {
  return {
    userId: `${id}:${identity.subject}`,
    email: identity.email ?? '',
    name: identity.name,
    provider: id,
  };
}

function expiredSignIn(c: AppContext) {
  return c.html(
    <ErrorPage
      title="This sign-in has expired"
      message="The sign-in was already completed, took longer than 10 minutes, or was started in another browser."
      hint="Start again from your app, or from this server's start page."
    />,
    400,
  );
}

function logFailure(method: ProviderId, reason: string) {
  log('warn', 'sign_in_failed', { provider: method, reason });
}

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

async function finishSignIn(
  c: AppContext,
  method: Provider,
  url: URL,
  kept: { state: string; verifier: string; nonce: string; returnTo?: string; link?: PendingLink },
  resumed: ResumedUpstream<UpstreamData> | null,
): Promise<Response> {
  const name = method.displayName(c.env);
  const original = resumed?.request;
  c.header('Cache-Control', 'no-store');
  /** Back to the app with an OAuth error it understands (RFC 6749 §4.1.2.1, with `state` and `iss`). */
  const backToApp = (description: string) =>
    original
      ? {
          href: authorizationErrorRedirect(original, 'access_denied', description),
          label: `Return to ${new URL(original.redirectUri).host}`,
        }
      : undefined;

  const providerError = url.searchParams.get('error');
  if (providerError !== null) {
    logFailure(method.id, `provider answered ${providerError.slice(0, 64)}`);
    if (original) return c.redirect(authorizationErrorRedirect(original, 'access_denied'), 302);
    return c.html(
      <ErrorPage
        title="You are not signed in"
        message={`${name} did not sign you in.`}
        hint="You can try again from the sign-in page."
        action={{ href: '/signin', label: 'Sign in' }}
      />,
      400,
    );
  }

  const ready = await prepareUpstream(c.env, method);
  if (ready instanceof ConfigurationProblem) return misconfiguredPage(c, method);
  let identity: UpstreamIdentity;
  try {
    identity = await ready.finish({
      callbackUrl: url,
      redirectUri: callbackUrl(c, method.id),
      state: kept.state,
      verifier: kept.verifier,
      nonce: kept.nonce,
    });
  } catch (error) {
    if (!(error instanceof SignInFailure)) throw error;
    if (error instanceof AccountRefused) {
      log('info', 'sign_in_refused', { provider: method.id, reason: error.reason });
      return c.html(
        <ErrorPage
          title="This account may not use this server"
          message={error.userMessage}
          hint={error.hint}
          action={backToApp('This account is not allowed to use this server.')}
        />,
        403,
      );
    }
    logFailure(method.id, error.reason);
    return c.html(
      <ErrorPage
        title="The sign-in did not work"
        message={error.userMessage}
        hint={
          error.transient
            ? 'Try again in a moment.'
            : 'Start again; if it keeps happening, tell whoever runs this server.'
        }
        action={backToApp('The sign-in at the identity provider failed.')}
      />,
      error.transient ? 502 : 400,
    );
  }

  // A link, not a sign-in: the account goes to the grant, the session stays (./linking.tsx).
  if (kept.link) return finishLink(c, method, identity, kept.link);

  const user = userOf(method.id, identity);
  const decision = checkAllowlist(c.env, method, identity);
  if (!decision.allowed) {
    log('info', 'sign_in_refused', {
      provider: method.id,
      grantUserId: await grantUserId(user.userId),
      reason: decision.reason,
    });
    const who = user.email || user.name;
    return c.html(
      <ErrorPage
        title="This account may not use this server"
        message={`You signed in with ${name} as ${who}, and this server does not let that account in.`}
        hint={
          decision.reason === 'no verified email'
            ? `${name} did not confirm an email address for this account. Ask whoever runs this server to add you.`
            : 'Ask whoever runs this server to add you, or sign in with another account.'
        }
        action={backToApp('This account is not allowed to use this server.')}
      />,
      403,
    );
  }

  await startSession(c, user);
  const userId = await grantUserId(user.userId);
  log('info', 'sign_in', { provider: method.id, grantUserId: userId });
  if (!original) return c.redirect(kept.returnTo ?? '/', 303);

  const props: Props = {
    ...user,
    upstream: identity.tokens,
    upstreamCheckedAt: Math.floor(Date.now() / 1000),
  };
  const redirectTo = await completeGrant(c.env, {
    request: original,
    user,
    props,
    scope: original.scope,
    remembered: resumed?.data?.remembered === true,
  });
  return c.redirect(redirectTo, 302);
}
