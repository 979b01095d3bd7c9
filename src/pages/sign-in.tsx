import type { SignedInUser } from '../auth/props';
import type { SignInChoice } from '../auth/sign-in/methods';
import { Layout } from './layout';

export interface SignInPageProps {
  /** Where to go after signing in: a path on this server. */
  returnTo: string;
  csrf: string;
  demoEnabled: boolean;
  /** The identity providers configured (OIDC, GitHub), each a button. */
  providers: SignInChoice[];
  /** Set when the server runs on a public host, for the "not configured" explanation. */
  host: string;
  error?: string;
  email?: string;
  user?: SignedInUser | null;
}

/**
 * The sign-in page: a button per configured identity provider, the demo form where it is enabled,
 * and a plain explanation where nothing is.
 */
export function SignInPage({ returnTo, csrf, demoEnabled, providers, host, error, email }: SignInPageProps) {
  if (!demoEnabled && providers.length === 0) {
    return (
      <Layout title="Sign in" narrow>
        <div class="card">
          <h1>No sign-in method is configured</h1>
          <p>
            This server at <code>{host}</code> has no way to sign you in yet, so no app can connect to it.
          </p>
          <p class="muted">
            If you run this server: the demo sign-in is only on for a local host. Set{' '}
            <code>DEMO_SIGN_IN</code> to <code>true</code> to enable it here (anyone could then sign in as
            anyone), or configure a real sign-in method as the README describes.
          </p>
        </div>
      </Layout>
    );
  }
  const buttons =
    providers.length > 0 ? (
      <div class="methods">
        {providers.map((provider) => (
          <a
            class={demoEnabled ? 'button' : 'button primary'}
            href={`/signin/${provider.id}?${new URLSearchParams({ return_to: returnTo })}`}
          >
            Continue with {provider.name}
          </a>
        ))}
      </div>
    ) : null;
  if (!demoEnabled) {
    return (
      <Layout title="Sign in" narrow>
        <div class="card">
          <h1>Sign in</h1>
          {buttons}
        </div>
      </Layout>
    );
  }
  return (
    <Layout title="Sign in" narrow>
      <div class="card">
        <h1>Sign in</h1>
        {buttons}
        {buttons ? <p class="or">or, for local development</p> : null}
        <p class="muted">
          Demo sign-in: any email and any password are accepted. It is meant for local development.
        </p>
        {error ? (
          <p class="warning" role="alert">
            {error}
          </p>
        ) : null}
        <form method="post" action="/signin">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="return_to" value={returnTo} />
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            name="email"
            autocomplete="username"
            required
            maxlength={254}
            value={email ?? ''}
            autofocus
          />
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            name="password"
            autocomplete="current-password"
            required
            maxlength={1024}
          />
          <div class="actions">
            <button type="submit" class="primary">
              Sign in
            </button>
          </div>
        </form>
      </div>
    </Layout>
  );
}
