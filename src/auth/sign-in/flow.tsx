import type { ApprovedConsent } from '@cloudflare/workers-oauth-provider';
import type { Context } from 'hono';
import * as oauth from 'oauth4webapi';
import { ErrorPage } from '../../pages/error';
import type { AppEnv } from '../env';
import { prepareUpstream } from './methods';
import { type PendingLink, startPendingSignIn } from './pending';
import type { Provider, ProviderId } from './providers';
import { ConfigurationProblem, type ReadyUpstream } from './upstream';

/**
 * Starting a sign-in at an identity provider, for an authorization (after consent) or on its own
 * (the start page). The provider's callback, which finishes both, is in ./routes.tsx.
 */

type AppContext = Context<{ Bindings: AppEnv }>;

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
