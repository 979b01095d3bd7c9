import { Hono } from 'hono/tiny';
import { log } from '../../lib/log';
import { answerLedgerOf } from '../../mcp/answer-ledger';
import { ErrorPage } from '../../pages/error';
import { LinkPage } from '../../pages/link';
import type { AppContext, AppEnv } from '../env';
import { grantUserId } from '../grant-user';
import type { SignedInUser } from '../props';
import { expiredForm, formOf } from '../responses';
import { contentSecurityPolicy } from '../security-headers';
import { csrfToken, isSameSiteForm, readSession } from '../session';
import { anotherAccount, beginStandaloneSignIn, invalidLink, misconfiguredPage } from './flow';
import { type LinkTicket, openLinkTicket } from './link-ticket';
import { configuredUpstream, prepareUpstream } from './methods';
import type { PendingLink } from './pending';
import type { Provider } from './providers';
import { ConfigurationProblem } from './upstream';

/**
 * Linking an account at a provider to an existing grant: `/link/<provider>?ticket=…`, the page a
 * tool sends the user to (src/tools/support/upstream.ts) when the grant has no account there.
 *
 * 1. `GET`: the ticket (./link-ticket.ts: signed, expiring, for this provider) and the browser's
 *    session must be the same user as the grant: someone else's browser, or no session, cannot
 *    link anything (no session: sign in first, and come back). The page names the app and asks.
 * 2. `POST` (our form, CSRF-checked): the ticket is spent (single use, in the user's answer
 *    ledger), and a sign-in at the provider starts, bound to this browser (./pending.ts) and
 *    carrying the grant.
 * 3. The provider's callback (./routes.tsx) finds the link in the pending sign-in and calls
 *    {@link finishLink}: the browser's session must still be that user; the account's tokens are
 *    kept for the grant (./linked-accounts.ts) until its next refresh puts them in its props.
 *
 * The allowlist is not applied to a linked account: the user is already let in by the way they
 * signed in; the linked account is only the key to that provider's API.
 */
export const linkRoutes = new Hono<{ Bindings: AppEnv }>();

/** The method, the ticket and the session of a link request, or the page that refuses it. */
async function checkLink(
  c: AppContext,
  sealed: string | undefined,
): Promise<{ method: Provider; ticket: LinkTicket; user: SignedInUser } | Response> {
  const method = configuredUpstream(c.env, c.req.param('provider'));
  if (!method) {
    return c.html(<ErrorPage title="Not found" message="This sign-in method is not configured." />, 404);
  }
  const ticket = await openLinkTicket(c.env, method.id, sealed);
  if (!ticket) return invalidLink(c);
  const user = await readSession(c);
  if (!user) {
    const back = new URL(c.req.url);
    return c.redirect(`/signin?${new URLSearchParams({ return_to: back.pathname + back.search })}`, 303);
  }
  if ((await grantUserId(user.userId)) !== ticket.grantUserId) {
    log('warn', 'link_refused', { provider: method.id, reason: 'session of another user' });
    return anotherAccount(c, user);
  }
  return { method, ticket, user };
}

linkRoutes.get('/link/:provider', async (c) => {
  const checked = await checkLink(c, c.req.query('ticket'));
  if (checked instanceof Response) return checked;
  const { method, ticket, user } = checked;
  const ready = await prepareUpstream(c.env, method);
  if (ready instanceof ConfigurationProblem) return misconfiguredPage(c, method);
  let appName = ticket.clientId;
  try {
    appName = (await c.env.OAUTH_PROVIDER.lookupClient(ticket.clientId))?.clientName?.trim() || appName;
  } catch {}
  // The form's redirect goes on to the provider: CSP form-action names it.
  c.header('Content-Security-Policy', contentSecurityPolicy(["'self'", ready.origin]));
  return c.html(
    <LinkPage
      user={user}
      csrf={csrfToken(c)}
      providerName={method.displayName(c.env)}
      appName={appName}
      action={`/link/${method.id}`}
      ticket={c.req.query('ticket') ?? ''}
    />,
  );
});

linkRoutes.post('/link/:provider', async (c) => {
  const form = await formOf(c);
  if (!form || !isSameSiteForm(c, form.get('csrf'))) return expiredForm(c);
  const sealed = form.get('ticket');
  const checked = await checkLink(c, typeof sealed === 'string' ? sealed : undefined);
  if (checked instanceof Response) return checked;
  const { method, ticket } = checked;
  if (!(await answerLedgerOf(c.env, ticket.grantUserId).use(`link:${ticket.nonce}`))) {
    log('warn', 'link_refused', { provider: method.id, reason: 'ticket already used' });
    return invalidLink(c);
  }
  const link: PendingLink = { grantUserId: ticket.grantUserId, grantId: ticket.grantId };
  return beginStandaloneSignIn(c, method, '/', link);
});
