import { log } from '../../lib/log';
import { isDemoSignInEnabled } from '../demo';
import type { AppEnv } from '../env';
import type { SignInProvider } from '../props';
import { type Provider, providersOf } from './providers';
import { ConfigurationProblem, type ReadyUpstream } from './upstream';

/** A sign-in method as the sign-in and consent pages name it. */
export interface SignInChoice {
  id: string;
  name: string;
}

/** The provider `id` when its variables are set, otherwise `undefined`. */
export function configuredUpstream(env: AppEnv, id: unknown): Provider | undefined {
  return providersOf(env).find((method) => method.id === id && method.configured(env));
}

/**
 * Whether `provider` may sign anyone in on this request: the demo form where it is enabled (a
 * loopback host, or `DEMO_SIGN_IN=true`), a provider while its variables are set. A session is
 * honoured only while the method that made it is (src/auth/session.ts `readSession`).
 */
export function isSignInMethodEnabled(env: AppEnv, url: URL, provider: SignInProvider): boolean {
  if (provider === 'demo') return isDemoSignInEnabled(env, url);
  return configuredUpstream(env, provider) !== undefined;
}

/** The methods the sign-in page offers: the demo form (where enabled) and each configured provider. */
export function signInChoices(env: AppEnv, url: URL): { demo: boolean; upstream: SignInChoice[] } {
  return {
    demo: isDemoSignInEnabled(env, url),
    upstream: providersOf(env)
      .filter((method) => method.configured(env))
      .map((method) => ({ id: method.id, name: method.displayName(env) })),
  };
}

/**
 * `method`, validated and ready (OIDC discovery done, cached per isolate), or the configuration
 * problems, which are logged as one JSON line here so that every caller reports them the same way.
 */
export async function prepareUpstream(
  env: AppEnv,
  method: Provider,
): Promise<ReadyUpstream | ConfigurationProblem> {
  const prepared = await method.prepare(env);
  if (prepared instanceof ConfigurationProblem) {
    log('error', 'sign_in_misconfigured', { provider: method.id, problems: prepared.problems });
  }
  return prepared;
}
