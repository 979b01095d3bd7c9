import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/auth/env';
import { checkAllowlist } from '../../src/auth/sign-in/allowlist';
import type { UpstreamIdentity } from '../../src/auth/sign-in/upstream';

const settings = (vars: Partial<AppEnv>) => vars as AppEnv;

function identity(email: string | null, organizations?: string[]): UpstreamIdentity {
  return { subject: '1', email, name: 'Someone', organizations, tokens: { accessToken: 'a' } };
}

describe('checkAllowlist', () => {
  it('lets everyone the provider signs in through when no list is set', () => {
    expect(checkAllowlist(settings({}), 'oidc', identity(null))).toEqual({ allowed: true });
  });

  it('matches a verified email exactly, ignoring case and spaces in the list', () => {
    const env = settings({ ALLOWED_EMAILS: ' Ada@Example.com , grace@navy.mil' });
    expect(checkAllowlist(env, 'oidc', identity('ada@example.com')).allowed).toBe(true);
    expect(checkAllowlist(env, 'oidc', identity('ada@example.co'))).toEqual({
      allowed: false,
      reason: 'not on the allowlist',
    });
  });

  it('matches a domain exactly, not its subdomains or look-alikes', () => {
    const env = settings({ ALLOWED_EMAIL_DOMAINS: '@example.com' });
    expect(checkAllowlist(env, 'oidc', identity('bob@example.com')).allowed).toBe(true);
    expect(checkAllowlist(env, 'oidc', identity('bob@evil.example.com')).allowed).toBe(false);
    expect(checkAllowlist(env, 'oidc', identity('bob@example.com.evil.test')).allowed).toBe(false);
  });

  it('never lets an unverified (absent) email match an email rule', () => {
    const env = settings({ ALLOWED_EMAIL_DOMAINS: 'example.com' });
    expect(checkAllowlist(env, 'oidc', identity(null))).toEqual({
      allowed: false,
      reason: 'no verified email',
    });
  });

  it('GitHub organizations count only for GitHub, case-insensitively', () => {
    const env = settings({ ALLOWED_GITHUB_ORGS: 'acme' });
    expect(checkAllowlist(env, 'github', identity(null, ['Other', 'ACME'])).allowed).toBe(true);
    expect(checkAllowlist(env, 'github', identity(null, ['other'])).allowed).toBe(false);
    expect(checkAllowlist(env, 'oidc', identity('x@acme.com', ['acme'])).allowed).toBe(false);
  });
});
