import {
  type ApprovedConsent,
  authorizationErrorRedirect,
  type ResumedUpstream,
} from '@cloudflare/workers-oauth-provider';
import * as oauth from 'oauth4webapi';
import { log } from '../../lib/log';
import { ErrorPage } from '../../pages/error';
import { LinkedPage } from '../../pages/link';
import type { AppContext } from '../env';
import { completeGrant } from '../grant';
import { grantUserId } from '../grant-user';
import type { Props, SignedInUser } from '../props';
import { readSession, startSession } from '../session';
import { checkAllowlist } from './allowlist';
import { keepLinkedAccount } from './linked-accounts';
import { prepareUpstream } from './methods';
import { type PendingLink, startPendingSignIn } from './pending';
import type { Provider, ProviderId } from './providers';
import {
  AccountRefused,
  ConfigurationProblem,
  type ReadyUpstream,
  SignInFailure,
  type UpstreamIdentity,
} from './upstream';

/**
 * A sign-in at an identity provider, from start to finish: starting it for an authorization
 * (after consent) or on its own (the start page), and finishing it at the provider's callback
 * (./routes.tsx routes it here), which is also where an account link (./linking.tsx) ends.
 */

/**
 * The query parameter that says which provider an authorization request signs in with, added
 * by `/signin/<method>` (ours, not OAuth's: the library ignores it). The consent form repeats it.
 */
export const SIGN_IN_WITH = 'sign_in_with';

/** What `beginUpstream` keeps for the callback of a sign-in that is part of an authorization. */
export interface UpstreamData {
  method: ProviderId;
  verifier: string;
  nonce: string;
  /**
   * A remembered consent, not an Allow: the app's earlier grants go when the new code is
   * redeemed, not now (src/auth/grant-replacement.ts).
   */
  remembered?: true;
}

/** Our callback at the provider, the URL to register there: `<origin>/signin/<id>/callback`. */
export function callbackUrl(c: AppContext, id: ProviderId): string {
  return new URL(`/signin/${id}/callback`, c.req.url).href;
}

/** The page for a method whose configuration is wrong (the details are in the log). */
export function misconfiguredPage(c: AppContext, method: Provider) {
  return c.html(
    <ErrorPage
      title={`Sign-in with ${method.displayName(c.env)} is not available`}
      message="This server's settings for it are incomplete or contradictory, or the provider did not answer."
      hint="If you run this server: its log has a sign_in_misconfigured line that says what to fix."
    />,
    503,
  );
}

async function providerRedirect(
  c: AppContext,
  ready: ReadyUpstream,
  id: ProviderId,
  state: string,
  verifier: string,
  nonce: string,
): Promise<string> {
  return ready.authorizationUrl({
    redirectUri: callbackUrl(c, id),
    state,
    codeChallenge: await oauth.calculatePKCECodeChallenge(verifier),
    nonce,
  });
}

/**
 * After consent: hands the browser to the provider. `beginUpstream` makes the `state`, keeps the
 * approved request, our PKCE verifier and nonce server-side, and binds them to this browser.
 */
export async function beginUpstreamAuthorization(
  c: AppContext,
  method: Provider,
  ready: ReadyUpstream,
  approved: ApprovedConsent,
  options: { remembered?: true } = {},
): Promise<Response> {
  const verifier = oauth.generateRandomCodeVerifier();
  const nonce = oauth.generateRandomNonce();
  const data: UpstreamData = { method: method.id, verifier, nonce, ...options };
  const { state, headers } = await c.env.OAUTH_PROVIDER.beginUpstream(approved.request, {
    data,
    headers: approved.headers,
  });
  headers.set('Location', await providerRedirect(c, ready, method.id, state, verifier, nonce));
  headers.set('Cache-Control', 'no-store');
  return new Response(null, { status: 302, headers });
}

/**
 * A sign-in that is not part of an authorization: our own browser-bound state, then the provider.
 * With `link`, the account it signs in is linked to that grant instead (./linking.tsx).
 */
export async function beginStandaloneSignIn(
  c: AppContext,
  method: Provider,
  returnTo: string,
  link?: PendingLink,
): Promise<Response> {
  const ready = await prepareUpstream(c.env, method);
  if (ready instanceof ConfigurationProblem) return misconfiguredPage(c, method);
  const state = oauth.generateRandomState();
  const verifier = oauth.generateRandomCodeVerifier();
  const nonce = oauth.generateRandomNonce();
  await startPendingSignIn(c, { method: method.id, state, verifier, nonce, returnTo, ...(link && { link }) });
  c.header('Cache-Control', 'no-store');
  return c.redirect(await providerRedirect(c, ready, method.id, state, verifier, nonce), 303);
}

function userOf(id: ProviderId, identity: UpstreamIdentity): SignedInUser {
  return {
    userId: `${id}:${identity.subject}`,
    email: identity.email ?? '',
    name: identity.name,
    provider: id,
  };
}

export function expiredSignIn(c: AppContext) {
  return c.html(
    <ErrorPage
      title="This sign-in has expired"
      message="The sign-in was already completed, took longer than 10 minutes, or was started in another browser."
      hint="Start again from your app, or from this server's start page."
    />,
    400,
  );
}

export function logFailure(method: ProviderId, reason: string) {
  log('warn', 'sign_in_failed', { provider: method, reason });
}

/**
 * The provider's callback, once its `state` is known to be this browser's: the identity is
 * fetched and checked, then a sign-in starts a session (and, within an authorization, completes
 * the grant: ../grant.ts), and a link gives the account to the grant.
 */
export async function finishSignIn(
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

export function invalidLink(c: AppContext) {
  return c.html(
    <ErrorPage
      title="This link is not valid"
      message="It has expired (links last 10 minutes), was already used, or was not made by this server."
      hint="Go back to your app and call the tool again: it gives you a new link."
    />,
    400,
  );
}

export function anotherAccount(c: AppContext, user: SignedInUser) {
  return c.html(
    <ErrorPage
      title="This link is for another account"
      message={`You are signed in here as ${user.email || user.name}, and the app that made this link is connected as someone else.`}
      hint="Sign out, sign in as the account you connected the app with, and open the link again."
    />,
    403,
  );
}

/** The provider's callback of a link: the account's tokens go to the grant. */
export async function finishLink(
  c: AppContext,
  method: Provider,
  identity: UpstreamIdentity,
  link: PendingLink,
): Promise<Response> {
  const user = await readSession(c);
  if (!user || (await grantUserId(user.userId)) !== link.grantUserId) {
    log('warn', 'link_refused', { provider: method.id, reason: 'session changed during the link' });
    return user ? anotherAccount(c, user) : invalidLink(c);
  }
  await keepLinkedAccount(c.env, { userId: link.grantUserId, grantId: link.grantId }, method.id, {
    subject: identity.subject,
    tokens: identity.tokens,
    linkedAt: Math.floor(Date.now() / 1000),
  });
  log('info', 'account_linked', { provider: method.id, grantUserId: link.grantUserId });
  return c.html(<LinkedPage providerName={method.displayName(c.env)} />);
}
