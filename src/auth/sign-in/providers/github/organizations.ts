import { type AllowRule, listSetting, type UpstreamOrganization } from '../../upstream';

/**
 * `ALLOWED_GITHUB_ORGS`: members of a listed organization may sign in through GitHub (besides
 * `ALLOWED_EMAILS` and `ALLOWED_EMAIL_DOMAINS`). When it is set, the allowlist is on for every
 * provider, so an OIDC user then needs a listed email or domain.
 */
export const organizationRule: AllowRule<{ ALLOWED_GITHUB_ORGS?: string }> = {
  active: (env) => listSetting(env.ALLOWED_GITHUB_ORGS).length > 0,
  admits(env, identity) {
    const entries = listSetting(env.ALLOWED_GITHUB_ORGS).map((org) => org.toLowerCase());
    return (identity.organizations ?? []).some((org) => listsOrganization(entries, org));
  },
};

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
