import { AuthorizationError, type AuthRequest, CimdFetchError } from '@cloudflare/workers-oauth-provider';
import { Hono } from 'hono/tiny';
import { log } from '../lib/log';
import { clientAddress, RETRY_AFTER_SECONDS, withinLimit } from '../lib/rate-limit';
import { ConsentPage } from '../pages/consent';
import { ErrorPage } from '../pages/error';
import { completeRememberedConsent, rememberFor } from './consent-memory';
import { offerField, offerOf } from './consent-scopes';
import type { AppContext, AppEnv } from './env';
import { completeGrant } from './grant';
import { grantUserId } from './grant-user';
import type { SignedInUser } from './props';
import { describeError, expiredForm, formOf, signInPage } from './responses';
import { BASE_SCOPE, scopesToGrant } from './scopes';
import { contentSecurityPolicy } from './security-headers';
import { csrfToken, isCrossSite, readSession } from './session';
import { beginUpstreamAuthorization, misconfiguredPage, SIGN_IN_WITH } from './sign-in/flow';
import { configuredUpstream, prepareUpstream, signInChoices } from './sign-in/methods';
import type { Provider } from './sign-in/providers';
import { ConfigurationProblem } from './sign-in/upstream';

/**
 * How this authorization signs the user in. A demo session completes it at once. A user who signed
 * in through a provider goes through that provider again after Allow, so that every grant carries
 * the provider's fresh tokens and the allowlist is checked again (the provider's own session makes
 * that quick). Without a session, the provider chosen on the sign-in page, or the only one there is.
 */
function upstreamFor(c: AppContext, user: SignedInUser | null, chosen: unknown): Provider | undefined {
  if (user) return user.provider === 'demo' ? undefined : configuredUpstream(c.env, user.provider);
  const method = configuredUpstream(c.env, chosen);
  if (method) return method;
  const choices = signInChoices(c.env, new URL(c.req.url));
  if (!choices.demo && choices.upstream.length === 1)
    return configuredUpstream(c.env, choices.upstream[0]?.id);
  return undefined;
}

/** The authorization endpoint: sign in if needed, then consent (OAuth 2.1 §4.1.1). */
export const authorizeRoutes = new Hono<{ Bindings: AppEnv }>();

authorizeRoutes.get('/authorize', async (c) => {
  const oauth = c.env.OAUTH_PROVIDER;
  let request: AuthRequest;
  try {
    request = await oauth.parseAuthRequest(c.req.raw);
  } catch (error) {
    if (await isForgottenClient(c, error)) return reconnectPage(c);
    return authorizationFailure(c, error);
  }
  const user = await readSession(c);
  const url = new URL(c.req.url);
  const upstream = upstreamFor(c, user, url.searchParams.get(SIGN_IN_WITH));
  if (!user && !upstream) {
    url.searchParams.delete(SIGN_IN_WITH);
    return signInPage(c, `${url.pathname}${url.search}`);
  }
  const ready = upstream ? await prepareUpstream(c.env, upstream) : undefined;
  if (upstream && ready instanceof ConfigurationProblem) return misconfiguredPage(c, upstream);
  let details: Awaited<ReturnType<typeof oauth.describeConsent>>;
  try {
    details = await oauth.describeConsent(request); // first: a failed lookup leaves nothing in KV
  } catch (error) {
    return authorizationFailure(c, error);
  }
  if (user) {
    // Approved before, with "remember": no page (src/auth/consent-memory.ts).
    const viaProvider =
      upstream && ready && !(ready instanceof ConfigurationProblem) ? { method: upstream, ready } : undefined;
    const remembered = await completeRememberedConsent(c, request, details, user, viaProvider);
    if (remembered) return remembered;
  }
  // The consent record is a KV write; without a session it is bounded per address, so a loop of
  // anonymous requests cannot spend the namespace's writes (wrangler.jsonc). Its Allow writes the
  // provider sign-in's record, once per page: the page bounds that too.
  if (!user && !(await withinLimit(c.env.AUTHORIZE_IP_LIMITER, 'authorize_ip', clientAddress(c.req.raw)))) {
    c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return c.html(
      <ErrorPage
        title="Too many sign-in requests"
        message="There were too many requests to connect an app from your address."
        hint="Wait a minute, then connect again from your app."
      />,
      429,
    );
  }
  const consent = await oauth.beginConsent(request);
  const offered = scopesToGrant(details.scope);
  for (const [name, value] of consent.headers) {
    if (name.toLowerCase() === 'set-cookie') continue;
    if (name.toLowerCase() === 'content-security-policy') continue;
    c.header(name, value);
  }
  for (const cookie of consent.headers.getSetCookie()) c.header('Set-Cookie', cookie, { append: true });
  // Allow's redirect goes to the app, or first to the identity provider: the form may navigate
  // there, and nowhere else.
  const targets = ["'self'", formTarget(details.redirectUri)];
  if (ready && !(ready instanceof ConfigurationProblem)) targets.push(ready.origin);
  c.header('Content-Security-Policy', contentSecurityPolicy(targets));
  return c.html(
    <ConsentPage
      details={details}
      handle={consent.handle}
      offer={await offerField(c.env, consent.handle, offered, details.clientName)}
      scopes={offered}
      user={user}
      signInWith={upstream ? { id: upstream.id, name: upstream.displayName(c.env) } : undefined}
      csrf={csrfToken(c)}
    />,
  );
});

authorizeRoutes.post('/authorize', async (c) => {
  const oauth = c.env.OAUTH_PROVIDER;
  // The consent cookie is SameSite=Lax, so a browser does not send it from another site; a post
  // that says it comes from one is refused all the same, before the handle is touched.
  if (isCrossSite(c)) return expiredForm(c);
  const form = await formOf(c);
  const handle = form?.get('handle');
  if (!form || typeof handle !== 'string' || handle === '') {
    return c.html(
      <ErrorPage
        title="This request cannot be completed"
        message="The consent form was incomplete."
        hint="Go back to your app and connect again."
      />,
      400,
    );
  }
  const user = await readSession(c);
  const upstream = upstreamFor(c, user, form.get(SIGN_IN_WITH));
  // "Remember my choice" binds the approval to the signed-in user; none without a session.
  const remember = user && form.get('remember') === 'yes' ? await rememberFor(c.env, user) : undefined;
  // The ticked scopes, within those the page offered (what the app asked for, and the baseline).
  const offer = await offerOf(c.env, handle, form.get('offer'));
  const offered = offer?.scopes ?? [BASE_SCOPE];
  const scope = scopesToGrant(form.getAll('scope').map(String)).filter((name) => offered.includes(name));
  if (form.get('decision') !== 'approve') {
    try {
      const denied = await oauth.denyConsent(c.req.raw, handle);
      log('info', 'consent_denied', {
        grantUserId: user ? await grantUserId(user.userId) : null,
        clientId: denied.request.clientId,
      });
      return redirectWith(denied.headers, denied.redirectTo);
    } catch (error) {
      return consentFailure(c, error);
    }
  }
  if (upstream) {
    const ready = await prepareUpstream(c.env, upstream);
    if (ready instanceof ConfigurationProblem) return misconfiguredPage(c, upstream);
    try {
      const approved = await oauth.approveConsent(c.req.raw, handle, { scope, remember });
      return await beginUpstreamAuthorization(c, upstream, ready, approved);
    } catch (error) {
      return consentFailure(c, error);
    }
  }
  if (!user) {
    return c.html(
      <ErrorPage
        title="You are signed out"
        message="Your session ended before you answered."
        hint="Go back to your app and connect again."
      />,
      403,
    );
  }
  try {
    const approved = await oauth.approveConsent(c.req.raw, handle, { scope, remember });
    const redirectTo = await completeGrant(c.env, {
      request: approved.request,
      user,
      scope,
      clientName: offer?.clientName,
    });
    return redirectWith(approved.headers, redirectTo);
  } catch (error) {
    return consentFailure(c, error);
  }
});

/** A consent form that cannot be answered: used, expired, from another browser (library errors). */
function consentFailure(c: AppContext, error: unknown) {
  if (error instanceof AuthorizationError && !error.redirectTo) {
    return c.html(
      <ErrorPage
        title="This page has expired"
        message="The consent page was already answered, expired, or was opened in another browser."
        hint="Go back to your app and connect again."
      />,
      400,
    );
  }
  return authorizationFailure(c, error);
}

function redirectWith(headers: Headers, location: string): Response {
  const response = new Headers(headers);
  response.set('Location', location);
  response.set('Cache-Control', 'no-store');
  response.set('Referrer-Policy', 'no-referrer');
  return new Response(null, { status: 302, headers: response });
}

/**
 * Where an authorization failure goes (the library's consent-page guidance): back to the app
 * when the library validated its redirect URI, otherwise to a page of ours.
 */
function authorizationFailure(c: AppContext, error: unknown) {
  if (error instanceof CimdFetchError) {
    // The page says only "could not be fetched or is not valid"; the operator learns which.
    log('warn', 'cimd_fetch_failed', {
      clientId: error.metadataUrl,
      reason: error.reason,
      detail: error.detail,
    });
  }
  if (error instanceof AuthorizationError && error.redirectTo) {
    return redirectWith(new Headers(), error.redirectTo);
  }
  if (error instanceof AuthorizationError || error instanceof CimdFetchError) {
    return c.html(
      <ErrorPage
        title="This app's request is not valid"
        message={describeError(error)}
        hint="This is a problem with the app that sent you here, not with your account."
      />,
      400,
    );
  }
  throw error;
}

/**
 * Whether a refused request names a registered client this server no longer has: its registration
 * expired unused, or the app was removed from the server. A client id that is a metadata document
 * URL is never stored, so it is never forgotten.
 */
async function isForgottenClient(c: AppContext, error: unknown): Promise<boolean> {
  if (!(error instanceof AuthorizationError) || error.redirectTo) return false;
  const clientId = new URL(c.req.url).searchParams.get('client_id');
  if (!clientId || clientId.startsWith('https://')) return false;
  return (await c.env.OAUTH_PROVIDER.lookupClient(clientId).catch(() => undefined)) === null;
}

/** The page for a client this server no longer knows: the app must connect again from scratch. */
function reconnectPage(c: AppContext) {
  return c.html(
    <ErrorPage
      title="This app needs to reconnect"
      message="The app that sent you here is no longer registered with this server: its registration expired or was removed."
      hint="In your app, remove this server (or sign out of it) and add it again. For mcp-remote, delete ~/.mcp-auth and reconnect."
    />,
    400,
  );
}

/** The CSP `form-action` source that lets the consent form's redirect reach `redirectUri`. */
function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  return url.protocol;
}
