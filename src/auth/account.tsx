import { Hono } from 'hono/tiny';
import { log } from '../lib/log';
import { type AccountNotice, AccountPage } from '../pages/account';
import { ErrorPage } from '../pages/error';
import { listConnectedApps, revokeAllConnectedApps, revokeConnectedApp } from './connected-apps';
import type { AppContext, AppEnv } from './env';
import { grantUserId } from './grant-user';
import { expiredForm, formOf } from './responses';
import { csrfToken, isSameSiteForm, readSession } from './session';

const NOTICES: readonly AccountNotice[] = ['revoked', 'revoked-all', 'revoked-some'];

/**
 * Connected apps (`/account`): the signed-in user's grants, built on the library's
 * `listUserGrants`, and revoking them with `revokeGrant`. Forms carry the CSRF token; every
 * answer is `no-store` and unframeable (src/auth/security-headers.ts).
 */
export const accountRoutes = new Hono<{ Bindings: AppEnv }>();

accountRoutes.get('/account', async (c) => {
  const user = await readSession(c);
  if (!user) return c.redirect('/signin?return_to=%2Faccount', 303);
  const apps = await listConnectedApps(c.env, c.req.raw, user);
  const notice = NOTICES.find((code) => code === c.req.query('notice'));
  c.header('Cache-Control', 'no-store');
  return c.html(<AccountPage user={user} csrf={csrfToken(c)} apps={apps} notice={notice} />);
});

accountRoutes.post('/account/revoke', async (c) => {
  const checked = await checkedForm(c);
  if (checked instanceof Response) return checked;
  const { user, form } = checked;
  const revoked = await revokeConnectedApp(c.env, user, form.get('grant'));
  if (!revoked) {
    return c.html(
      <ErrorPage
        title="No such app"
        message="That app is not connected to your account, or it was already disconnected."
        action={{ href: '/account', label: 'Back to connected apps' }}
      />,
      404,
    );
  }
  log('info', 'grant_revoked', {
    grantUserId: await grantUserId(user.userId),
    clientId: revoked.clientId,
    count: 1,
  });
  return c.redirect('/account?notice=revoked', 303);
});

accountRoutes.post('/account/revoke-all', async (c) => {
  const checked = await checkedForm(c);
  if (checked instanceof Response) return checked;
  const { user } = checked;
  const { revoked, remaining } = await revokeAllConnectedApps(c.env, user);
  log('info', 'grant_revoked', { grantUserId: await grantUserId(user.userId), count: revoked.length });
  return c.redirect(`/account?notice=${remaining ? 'revoked-some' : 'revoked-all'}`, 303);
});

/** A form of ours (same site, CSRF token) from a signed-in browser; otherwise the answer to send. */
async function checkedForm(c: AppContext) {
  const form = await formOf(c);
  if (!form || !isSameSiteForm(c, form.get('csrf'))) return expiredForm(c);
  const user = await readSession(c);
  if (!user) {
    return c.html(
      <ErrorPage
        title="You are signed out"
        message="Sign in to see and disconnect your apps."
        action={{ href: '/signin?return_to=%2Faccount', label: 'Sign in' }}
      />,
      403,
    );
  }
  return { user, form };
}
