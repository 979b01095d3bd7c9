import { AuthorizationError, CimdFetchError } from '@cloudflare/workers-oauth-provider';
import { Hono } from 'hono/tiny';
import { log } from '../lib/log';
import { clientAddress, RETRY_AFTER_SECONDS, withinLimit } from '../lib/rate-limit';
import { safeReturnTo } from '../lib/return-to';
import { StorageUnavailable } from '../lib/storage-errors';
import { ErrorPage } from '../pages/error';
import { LandingPage } from '../pages/landing';
import { accountRoutes } from './account';
import { authorizeRoutes } from './authorize';
import { demoUser, isDemoSignInEnabled } from './demo';
import type { AppEnv } from './env';
import { grantUserId } from './grant-user';
import { describeError, expiredForm, formOf, signInPage } from './responses';
import { securityHeaders } from './security-headers';
import {
  csrfToken,
  endSession,
  isSameSiteForm,
  readSession,
  sessionSecretProblem,
  startSession,
} from './session';
import { linkRoutes } from './sign-in/linking';
import { signInRoutes } from './sign-in/routes';

/**
 * Everything the Worker serves that is not OAuth protocol or MCP: the landing page, sign-in and
 * sign-out, sign-in through a provider (`/signin/<method>` and its `/callback`), the authorization
 * (consent) endpoint, and the stylesheet.
 */
export const pages = new Hono<{ Bindings: AppEnv }>();

pages.use('*', securityHeaders());

// A public host without SESSION_SECRET (src/auth/session.ts): every page says how to set it.
pages.use('*', async function requireSessionSecret(c, next) {
  const problem = sessionSecretProblem(c.env, new URL(c.req.url));
  if (!problem) return next();
  log('error', 'misconfigured', { message: problem });
  return c.html(
    <ErrorPage
      title="This server is not set up yet"
      message={problem}
      hint="If you run this server: set the secret, then reload this page. Otherwise, tell whoever runs it."
    />,
    500,
  );
});

pages.get('/', async (c) => {
  const user = await readSession(c);
  return c.html(<LandingPage origin={new URL(c.req.url).origin} user={user} csrf={csrfToken(c)} />);
});

// Cloudflare serves public/ before the Worker runs; this answers only when the Worker is called
// directly (tests) or the file is missing. /icons/: the MCP icons (src/mcp/icons.ts).
for (const files of ['/assets/*', '/icons/*']) {
  pages.get(files, async (c) => {
    const asset = await c.env.ASSETS.fetch(c.req.raw);
    return new Response(asset.body, asset); // a copy: the security headers are added to it
  });
}

pages.get('/signin', async (c) => {
  const returnTo = safeReturnTo(c.req.query('return_to'));
  if (await readSession(c)) return c.redirect(returnTo, 303);
  return signInPage(c, returnTo);
});

pages.post('/signin', async (c) => {
  const form = await formOf(c);
  const returnTo = safeReturnTo(form?.get('return_to'));
  if (!form || !isSameSiteForm(c, form.get('csrf'))) return expiredForm(c);
  if (!isDemoSignInEnabled(c.env, new URL(c.req.url))) return signInPage(c, returnTo, undefined, 403);
  // Attempts per address, and per account whatever the address (wrangler.jsonc).
  const email = form.get('email');
  const account = typeof email === 'string' ? email.trim().toLowerCase() : '';
  if (
    !(await withinLimit(c.env.SIGN_IN_IP_LIMITER, 'sign_in_ip', clientAddress(c.req.raw))) ||
    !(await withinLimit(c.env.SIGN_IN_ACCOUNT_LIMITER, 'sign_in_account', account))
  ) {
    c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return c.html(
      <ErrorPage
        title="Too many sign-in attempts"
        message="There were too many sign-in attempts from your address or for this account."
        hint="Wait a minute, then go back and try again."
      />,
      429,
    );
  }
  const user = demoUser(email, form.get('password'));
  if (typeof user === 'string') {
    return signInPage(c, returnTo, { error: user, email: typeof email === 'string' ? email : '' }, 400);
  }
  await startSession(c, user);
  log('info', 'sign_in', { provider: user.provider, grantUserId: await grantUserId(user.userId) });
  return c.redirect(returnTo, 303);
});

pages.post('/signout', async (c) => {
  const form = await formOf(c);
  if (!form || !isSameSiteForm(c, form.get('csrf'))) return expiredForm(c);
  endSession(c);
  return c.redirect('/', 303);
});

pages.route('/', authorizeRoutes);
pages.route('/', signInRoutes);
pages.route('/', linkRoutes);
pages.route('/', accountRoutes);

pages.notFound((c) =>
  c.html(
    <ErrorPage title="Not found" message={`There is no page at ${new URL(c.req.url).pathname}.`} />,
    404,
  ),
);

pages.onError((error, c) => {
  if (error instanceof AuthorizationError || error instanceof CimdFetchError) {
    // Thrown past a route that should have caught it: still the client's fault, not ours.
    return c.html(<ErrorPage title="This request cannot be completed" message={describeError(error)} />, 400);
  }
  const path = new URL(c.req.url).pathname;
  if (error instanceof StorageUnavailable) {
    log('error', 'storage_unavailable', { path, operation: error.operation });
    c.header('Retry-After', '5');
    return c.html(
      <ErrorPage
        title="Temporarily unavailable"
        message="The server could not reach its storage, so nothing was done."
        hint="Try again in a moment. If you were connecting an app, start again from the app."
      />,
      503,
    );
  }
  log('error', 'page_failed', { path, error: String(error) });
  return c.html(
    <ErrorPage
      title="Something went wrong"
      message="The server could not complete this request."
      hint="Try again in a moment. If it keeps happening, start again from your app."
    />,
    500,
  );
});
