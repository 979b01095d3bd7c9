import type { AppEnv } from '../env';
import { listSetting, type UpstreamId, type UpstreamIdentity, type UpstreamOrganization } from './upstream';

/** Whether a user may sign in, and if not, why (for the log; the page says it plainly). */
export type AllowDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * Who may sign in through OIDC or GitHub. With none of `ALLOWED_EMAILS`, `ALLOWED_EMAIL_DOMAINS`
 * and `ALLOWED_GITHUB_ORGS` set, everyone the provider signs in may (the provider is the gate: a
 * single-tenant app, an access policy). Otherwise a user needs a verified email on the list, a
 * verified email in a listed domain (exactly that domain, not its subdomains), or, through GitHub,
 * membership of a listed organization (by id, or by login). The demo sign-in is not subject to it.
 */
export function checkAllowlist(env: AppEnv, method: UpstreamId, identity: UpstreamIdentity): AllowDecision {
  const emails = listSetting(env.ALLOWED_EMAILS).map((email) => email.toLowerCase());
  const domains = listSetting(env.ALLOWED_EMAIL_DOMAINS).map((domain) =>
    domain.toLowerCase().replace(/^@/, ''),
  );
  const orgs = listSetting(env.ALLOWED_GITHUB_ORGS).map((org) => org.toLowerCase());
  if (emails.length === 0 && domains.length === 0 && orgs.length === 0) return { allowed: true };
  const email = identity.email?.toLowerCase() ?? null;
  if (email !== null) {
    if (emails.includes(email)) return { allowed: true };
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (domains.includes(domain)) return { allowed: true };
  }
  if (method === 'github' && orgs.length > 0) {
    if ((identity.organizations ?? []).some((org) => listsOrganization(orgs, org))) return { allowed: true };
  }
  if (email === null && (emails.length > 0 || domains.length > 0)) {
    return { allowed: false, reason: 'no verified email' };
  }
  return { allowed: false, reason: 'not on the allowlist' };
}

/**
 * Whether `org` is one of the `ALLOWED_GITHUB_ORGS` entries (lowercased): a number is an
 * organization id, which GitHub never changes or reuses; anything else is a login, matched without
 * regard to case, and weaker: a renamed organization's old login can be registered by anyone.
 */
function listsOrganization(entries: string[], org: UpstreamOrganization): boolean {
  return entries.some((entry) =>
    /^\d+$/.test(entry) ? entry === org.id : entry === org.login.toLowerCase(),
  );
}
