import type { SignedInUser } from '../auth/props';
import { Layout } from './layout';

export interface LinkPageProps {
  user: SignedInUser;
  csrf: string;
  /** The provider's name: "GitHub". */
  providerName: string;
  /** The app whose connection gains the account (its own name: untrusted, escaped). */
  appName: string;
  /** Where the form posts: `/link/<provider>`. */
  action: string;
  ticket: string;
}

/** Linking an account at a provider to an app's connection: what happens, and one button. */
export function LinkPage({ user, csrf, providerName, appName, action, ticket }: LinkPageProps) {
  return (
    <Layout title={`Link your ${providerName} account`} user={user} csrf={csrf} narrow>
      <div class="card">
        <h1>Link your {providerName} account</h1>
        <p>
          <strong>{appName}</strong> asks to use your {providerName} account through this server, for tools
          that act there as you.
        </p>
        <p class="muted">
          You will sign in with {providerName}. Its access then belongs to this app's connection only, until
          you revoke the app on your account page; you stay signed in here as {user.email || user.name}.
        </p>
        <form method="post" action={action}>
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="ticket" value={ticket} />
          <p class="actions">
            <button type="submit" class="button primary">
              Continue with {providerName}
            </button>
          </p>
        </form>
      </div>
    </Layout>
  );
}

/** After the provider: the account is linked, back to the app. */
export function LinkedPage({ providerName }: { providerName: string }) {
  return (
    <Layout title={`${providerName} is linked`} narrow>
      <div class="card">
        <h1>Your {providerName} account is linked</h1>
        <p>Go back to your app and ask it again: its tools can now act on {providerName} as you.</p>
        <p class="muted">You can close this page.</p>
      </div>
    </Layout>
  );
}
