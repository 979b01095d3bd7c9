import { AuthorizationError, type AuthRequest, CimdFetchError } from '@cloudflare/workers-oauth-provider';
import { type Context, Hono } from 'hono';
import { ConsentPage } from '../pages/consent';
import { ErrorPage } from '../pages/error';
import type { AppEnv } from './env';
import { grantUserId } from './grant-user';
import { describeError, formOf, signInPage } from './responses';
import { scopesToGrant } from './scopes';
import { contentSecurityPolicy } from './security-headers';
import { csrfToken, readSession } from './session';

type AppContext = Context<{ Bindings: AppEnv }>;

/** The authorization endpoint: sign in if needed, then consent (OAuth 2.1 §4.1.1). */
export const authorizeRoutes = new Hono<{ Bindings: AppEnv }>();

authorizeRoutes.get('/authorize', async (c) => {
  const oauth = c.env.OAUTH_PROVIDER;
  let request: AuthRequest;
  try {
    request = await oauth.parseAuthRequest(c.req.raw);
  } catch (error) {
    return authorizationFailure(c, error);
  }
  const user = await readSession(c);
  if (!user) {
    const url = new URL(c.req.url);
    return signInPage(c, `${url.pathname}${url.search}`);
  }
  let details: Awaited<ReturnType<typeof oauth.describeConsent>>;
  try {
    details = await oauth.describeConsent(request); // first: a failed lookup leaves nothing in KV
  } catch (error) {
    return authorizationFailure(c, error);
  }
  const consent = await oauth.beginConsent(request);
  for (const [name, value] of consent.headers) {
    if (name.toLowerCase() === 'set-cookie') continue;
    if (name.toLowerCase() === 'content-security-policy') continue;
    c.header(name, value);
  }
  for (const cookie of consent.headers.getSetCookie()) c.header('Set-Cookie', cookie, { append: true });
  // Allow's redirect goes to the app: the form may navigate there, and nowhere else.
  c.header('Content-Security-Policy', contentSecurityPolicy(["'self'", formTarget(details.redirectUri)]));
  return c.html(
    <ConsentPage
      details={details}
      handle={consent.handle}
      scopes={scopesToGrant(details.scope)}
      user={user}
      csrf={csrfToken(c)}
    />,
  );
});

authorizeRoutes.post('/authorize', async (c) => {
  const oauth = c.env.OAUTH_PROVIDER;
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
    if (form.get('decision') !== 'approve') {
      const denied = await oauth.denyConsent(c.req.raw, handle);
      console.log(
        JSON.stringify({ event: 'consent_denied', userId: user.userId, clientId: denied.request.clientId }),
      );
      return redirectWith(denied.headers, denied.redirectTo);
    }
    const scope = scopesToGrant(form.getAll('scope').map(String));
    const approved = await oauth.approveConsent(c.req.raw, handle, { scope });
    const { redirectTo } = await oauth.completeAuthorization({
      request: approved.request,
      userId: await grantUserId(user.userId),
      metadata: {},
      scope,
      props: user,
    });
    console.log(
      JSON.stringify({
        event: 'consent_given',
        userId: user.userId,
        clientId: approved.request.clientId,
        scope,
      }),
    );
    return redirectWith(approved.headers, redirectTo);
  } catch (error) {
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
});

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

/** The CSP `form-action` source that lets the consent form's redirect reach `redirectUri`. */
function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  return url.protocol;
}
