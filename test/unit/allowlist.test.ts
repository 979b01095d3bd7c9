import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/auth/env';
import { checkAllowlist } from '../../src/auth/sign-in/allowlist';
import { type GithubVars, github } from '../../src/auth/sign-in/providers/github';
import { oidc } from '../../src/auth/sign-in/providers/oidc';
import type { UpstreamIdentity, UpstreamOrganization } from '../../src/auth/sign-in/upstream';

const settings = (vars: Partial<AppEnv & GithubVars>) => vars as AppEnv;

function identity(email: string | null, organizations?: UpstreamOrganization[]): UpstreamIdentity {
  return { subject: '1', email, name: 'Someone', organizations, tokens: { accessToken: 'a' } };
}

/** GitHub organizations by login, with ids made up from the login (the same login, the same id). */
const orgs = (...logins: string[]): UpstreamOrganization[] =>
  logins.map((login) => ({ id: String(login.toLowerCase().length * 1000 + 7), login }));

describe('checkAllowlist', () => {
  it('lets everyone the provider signs in through when no list is set', () => {
    expect(checkAllowlist(settings({}), oidc, identity(null))).toEqual({ allowed: true });
  });

  it('matches a verified email exactly, ignoring case and spaces in the list', () => {
    const env = settings({ ALLOWED_EMAILS: ' Ada@Example.com , grace@navy.mil' });
    expect(checkAllowlist(env, oidc, identity('ada@example.com')).allowed).toBe(true);
    expect(checkAllowlist(env, oidc, identity('ada@example.co'))).toEqual({
      allowed: false,
      reason: 'not on the allowlist',
    });
  });

  it('matches a domain exactly, not its subdomains or look-alikes', () => {
    const env = settings({ ALLOWED_EMAIL_DOMAINS: '@example.com' });
    expect(checkAllowlist(env, oidc, identity('bob@example.com')).allowed).toBe(true);
    expect(checkAllowlist(env, oidc, identity('bob@evil.example.com')).allowed).toBe(false);
    expect(checkAllowlist(env, oidc, identity('bob@example.com.evil.test')).allowed).toBe(false);
  });

  it('never lets an unverified (absent) email match an email rule', () => {
    const env = settings({ ALLOWED_EMAIL_DOMAINS: 'example.com' });
    expect(checkAllowlist(env, oidc, identity(null))).toEqual({
      allowed: false,
      reason: 'no verified email',
    });
  });

  it('GitHub organizations count only for GitHub, case-insensitively', () => {
    const env = settings({ ALLOWED_GITHUB_ORGS: 'acme' });
    expect(checkAllowlist(env, github, identity(null, orgs('Other', 'ACME'))).allowed).toBe(true);
    expect(checkAllowlist(env, github, identity(null, orgs('other'))).allowed).toBe(false);
    expect(checkAllowlist(env, oidc, identity('x@acme.com', orgs('acme'))).allowed).toBe(false);
  });

  it('a GitHub organization id matches that organization whatever its login, and only it', () => {
    const env = settings({ ALLOWED_GITHUB_ORGS: '9919' });
    const renamed = { id: '9919', login: 'acme-renamed' };
    const squatter = { id: '4242', login: '9919' };
    const reRegistered = { id: '5555', login: 'acme' };
    expect(checkAllowlist(env, github, identity(null, [renamed])).allowed).toBe(true);
    expect(checkAllowlist(env, github, identity(null, [squatter, reRegistered])).allowed).toBe(false);
  });
});
