import type { AppEnv } from '../env';
import { type Provider, providersOf } from './providers';
import { listSetting, type UpstreamIdentity } from './upstream';

/** Whether a user may sign in, and if not, why (for the log; the page says it plainly). */
export type AllowDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * Who may sign in through an identity provider. With none of `ALLOWED_EMAILS`,
 * `ALLOWED_EMAIL_DOMAINS` and the providers' own rules (`allowRule`: GitHub's
 * `ALLOWED_GITHUB_ORGS`) set, everyone the provider signs in may (the provider is the gate: a
 * single-tenant app, an access policy). Otherwise a user needs a verified email on the list, a
 * verified email in a listed domain (exactly that domain, not its subdomains), or to pass the rule
 * of the provider they signed in through (GitHub: membership of a listed organization). The demo
 * sign-in is not subject to it.
 */
export function checkAllowlist(env: AppEnv, method: Provider, identity: UpstreamIdentity): AllowDecision {
  const emails = listSetting(env.ALLOWED_EMAILS).map((email) => email.toLowerCase());
  const domains = listSetting(env.ALLOWED_EMAIL_DOMAINS).map((domain) =>
    domain.toLowerCase().replace(/^@/, ''),
  );
  const anyRule = providersOf(env).some((provider) => provider.allowRule?.active(env));
  if (emails.length === 0 && domains.length === 0 && !anyRule) return { allowed: true };
  const email = identity.email?.toLowerCase() ?? null;
  if (email !== null) {
    if (emails.includes(email)) return { allowed: true };
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (domains.includes(domain)) return { allowed: true };
  }
  const rule = method.allowRule;
  if (rule?.active(env) && rule.admits(env, identity)) return { allowed: true };
  if (email === null && (emails.length > 0 || domains.length > 0)) {
    return { allowed: false, reason: 'no verified email' };
  }
  return { allowed: false, reason: 'not on the allowlist' };
}
