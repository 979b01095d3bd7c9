import {
  AuthorizationError,
  type AuthRequest,
  type ConsentDescription,
  type GrantSummary,
  type RememberConsentOptions,
} from '@cloudflare/workers-oauth-provider';
import { toBase64Url } from '../lib/base64url';
import { purposeKey } from '../lib/keys';
import { log } from '../lib/log';
import type { AppContext, AppEnv } from './env';
import { completeGrant } from './grant';
import { grantUserId } from './grant-user';
import type { SignedInUser } from './props';
import { scopesToGrant } from './scopes';
import { beginUpstreamAuthorization } from './sign-in/flow';
import type { Provider } from './sign-in/providers';
import type { ReadyUpstream } from './sign-in/upstream';

/**
 * The HMAC secret of the library's approvals cookie (`__Host-oauth-approvals`): the key of the
 * `remembered-consent` purpose (src/lib/keys.ts), 43 base64url characters. No new secret to
 * configure, and rotating the session secret forgets every remembered approval along with every
 * session.
 */
export async function rememberSecret(env: AppEnv): Promise<string> {
  return toBase64Url(await purposeKey(env, 'remembered-consent'));
}

/**
 * `remember` for the library's consent helpers: bound to the signed-in user (the opaque grant
 * user id), so another account in the same browser is asked again.
 */
export async function rememberFor(env: AppEnv, user: SignedInUser): Promise<RememberConsentOptions> {
  return { secret: await rememberSecret(env), subject: await grantUserId(user.userId) };
}

/** Whether a grant was made for this request's client, redirect URI and resource. */
export function grantMatches(
  grant: GrantSummary,
  request: Pick<AuthRequest, 'clientId' | 'redirectUri' | 'resource'>,
): boolean {
  if (grant.clientId !== request.clientId || grant.redirectUri !== request.redirectUri) return false;
  const resources = grant.resource === undefined ? [] : [grant.resource].flat();
  return request.resource === undefined || resources.includes(request.resource);
}

/**
 * Whether this signed-in user may skip the consent page for `authRequest`: the browser holds
 * their remembered approval for this client, redirect URI and resource covering every requested
 * scope (the library's `isConsentRemembered`), and the user still has a grant for that app. The
 * approval lives in a cookie, which revoking the app on another page or in another browser
 * cannot reach: the grant check is what makes a revoke bring the consent page back.
 */
export async function isConsentRemembered(
  env: AppEnv,
  request: Request,
  authRequest: AuthRequest,
  user: SignedInUser,
): Promise<boolean> {
  const oauth = env.OAUTH_PROVIDER;
  if (!(await oauth.isConsentRemembered(request, authRequest, await rememberFor(env, user)))) return false;
  const userId = await grantUserId(user.userId);
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const grants = await oauth.listUserGrants(userId, { cursor });
    if (grants.items.some((grant) => grantMatches(grant, authRequest))) return true;
    if (!grants.cursor) return false;
    cursor = grants.cursor;
  }
  return false;
}

/**
 * The answer to an authorization the signed-in user already approved and asked us to remember
 * ({@link isConsentRemembered}): completed without the consent page, with the scopes requested
 * (the baseline included), or handed to the identity provider first as after Allow. `null` when
 * the page must be shown, including when the app asks for it with `prompt=consent`.
 *
 * Unlike Allow on the consent page, it revokes none of the app's earlier grants when it issues
 * the code (`revokeExistingGrants: false`, here and after the provider): they go when the app
 * redeems it (src/auth/grant-replacement.ts). No click of the user's starts this: any site can
 * send the browser to `/authorize` for a remembered app with a `state` and PKCE of its own, and
 * the library's default would revoke the user's live grant for a code that nobody redeems.
 */
export async function completeRememberedConsent(
  c: AppContext,
  request: AuthRequest,
  details: ConsentDescription,
  user: SignedInUser,
  upstream?: { method: Provider; ready: ReadyUpstream },
): Promise<Response | null> {
  // An app that asks for the page with `prompt=consent` (OpenID Connect Core §3.1.2.1) gets it.
  const prompt = new URL(c.req.url).searchParams.get('prompt') ?? '';
  if (prompt.split(' ').includes('consent')) return null;
  if (!(await isConsentRemembered(c.env, c.req.raw, request, user))) return null;
  const scope = scopesToGrant(request.scope);
  const approved: AuthRequest = { ...request, scope };
  log('info', 'consent_remembered', {
    grantUserId: await grantUserId(user.userId),
    clientId: request.clientId,
    scope,
  });
  if (upstream) {
    return beginUpstreamAuthorization(
      c,
      upstream.method,
      upstream.ready,
      { request: approved, headers: new Headers() },
      { remembered: true },
    );
  }
  let redirectTo: string;
  try {
    redirectTo = await completeGrant(c.env, {
      request: approved,
      user,
      scope,
      remembered: true,
      clientName: details.clientName,
    });
  } catch (error) {
    if (error instanceof AuthorizationError) return null; // show the page, which explains
    throw error;
  }
  return new Response(null, {
    status: 302,
    headers: { Location: redirectTo, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
  });
}
