import type { ConnectedApp } from '../auth/connected-apps';
import type { SignedInUser } from '../auth/props';
import { SCOPES } from '../auth/scopes';
import { Layout } from './layout';

/** One connected app, as the page shows it. Every string came from the app: JSX escapes it. */
export type AccountApp = Omit<ConnectedApp, 'clientId'>;

/** A message after a revoke (fixed texts, chosen by a code, never text from the URL). */
export type AccountNotice = 'revoked' | 'revoked-all' | 'revoked-some';

const NOTICES: Record<AccountNotice, string> = {
  revoked: 'The app was disconnected. Its tokens no longer work, and it must ask you again to connect.',
  'revoked-all': 'Every app was disconnected. Their tokens no longer work.',
  'revoked-some': 'Many apps were disconnected, and some remain: choose Revoke all again to continue.',
};

export interface AccountPageProps {
  user: SignedInUser;
  csrf: string;
  apps: AccountApp[];
  notice?: AccountNotice;
}

/** Seconds since the epoch, as `2026-11-26 13:05 UTC` (the server does not know the reader's zone). */
function when(seconds: number) {
  const date = new Date(seconds * 1000);
  const text = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return <time datetime={date.toISOString()}>{text}</time>;
}

/** The apps a signed-in user connected, each with a Revoke button, and Revoke all. */
export function AccountPage({ user, csrf, apps, notice }: AccountPageProps) {
  return (
    <Layout title="Connected apps" user={user} csrf={csrf}>
      <div class="card">
        <h1>Connected apps</h1>
        <p class="muted">
          Apps you allowed to use this server as <strong>{user.email || user.name}</strong>. Revoking one
          stops its access at once; it has to ask you again to connect.
        </p>
        {notice ? (
          <p class="notice" role="status">
            {NOTICES[notice]}
          </p>
        ) : null}
        {apps.length === 0 ? <p>No app is connected to your account.</p> : null}
      </div>
      {apps.map((app) => (
        <div class="card app">
          <h2>
            <span class="client-name">{app.clientName}</span>
          </h2>
          {app.clientDomain ? (
            <p>
              Published by <strong>{app.clientDomain}</strong> (verified domain)
            </p>
          ) : (
            <p class="muted">Self-registered: its name is not verified.</p>
          )}
          <dl class="facts">
            <dt>Can</dt>
            <dd>
              <ul class="granted">
                {app.scopes.map((scope) => (
                  <li>
                    {Object.hasOwn(SCOPES, scope) ? `${SCOPES[scope as keyof typeof SCOPES]} ` : null}
                    <code>{scope}</code>
                  </li>
                ))}
              </ul>
            </dd>
            {app.redirectHost ? (
              <>
                <dt>Access went to</dt>
                <dd>{app.redirectHost}</dd>
              </>
            ) : null}
            <dt>Connected</dt>
            <dd>{when(app.connectedAt)}</dd>
            <dt>Last used</dt>
            <dd>{app.lastUsedAt ? when(app.lastUsedAt) : 'Not yet'}</dd>
            <dt>Consent</dt>
            <dd>
              {app.rememberedHere
                ? 'Remembered in this browser: it connects again without asking'
                : 'Asked each time it connects'}
            </dd>
          </dl>
          <form method="post" action="/account/revoke" class="actions">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="grant" value={app.grantId} />
            <button type="submit" class="danger" aria-label={`Revoke ${app.clientName}`}>
              Revoke
            </button>
          </form>
        </div>
      ))}
      {apps.length > 0 ? (
        <div class="card">
          <h2>Disconnect everything</h2>
          <p class="muted">Every app above loses its access; each must ask you again.</p>
          <form method="post" action="/account/revoke-all" class="actions">
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" class="danger">
              Revoke all
            </button>
          </form>
        </div>
      ) : null}
    </Layout>
  );
}
