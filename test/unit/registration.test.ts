import type { ClientRegistrationCallbackOptions } from '@cloudflare/workers-oauth-provider';
import { describe, expect, it } from 'vitest';
import { checkRegistration, REGISTRATION_LIMITS, redirectUriProblem } from '../../src/auth/registration';

function check(clientMetadata: Record<string, unknown>) {
  return checkRegistration({ clientMetadata } as unknown as ClientRegistrationCallbackOptions);
}

describe('redirectUriProblem', () => {
  it.each([
    'https://app.example/callback',
    'https://app.example:8443/cb?x=1',
    'http://localhost:6274/oauth/callback',
    'http://127.0.0.1:33418/callback',
    'http://[::1]/cb',
    'cursor://anysphere.cursor-retrieval/oauth/callback',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ['http://evil.example/cb', /only on a loopback host/],
    ['HTTP://EVIL.EXAMPLE/cb', /only on a loopback host/],
    ['javascript:alert(1)', /The scheme javascript: is not allowed/],
    ['JAVASCRIPT:alert(1)', /The scheme javascript: is not allowed/],
    ['data:text/html,x', /The scheme data: is not allowed/],
    ['vbscript:x', /The scheme vbscript: is not allowed/],
    ['file:///etc/passwd', /The scheme file: is not allowed/],
    ['blob:https://app.example/x', /The scheme blob: is not allowed/],
    [' javascript:alert(1)', /spaces or control characters/],
    ['https://app.example/cb\n', /spaces or control characters/],
    ['https://app.exa mple/cb', /spaces or control characters/],
    ['https://app.example/cb#', /fragment/],
    ['https://app.example/cb#x', /fragment/],
    ['https://u:p@app.example/cb', /user information/],
    ['https://u@app.example/cb', /user information/],
    ['/relative', /Not an absolute URI/],
    ['', /non-empty string/],
  ])('refuses %j', (uri, problem) => {
    expect(redirectUriProblem(uri)).toMatch(problem);
  });

  it('refuses non-strings and overlong URIs', () => {
    expect(redirectUriProblem(42)).toMatch(/non-empty string/);
    expect(redirectUriProblem(`https://app.example/${'a'.repeat(REGISTRATION_LIMITS.uriLength)}`)).toBe(
      'A redirect URI is too long.',
    );
  });
});

describe('checkRegistration', () => {
  it('lets a sound registration through', () => {
    expect(check({ redirect_uris: ['https://app.example/cb'], client_name: 'App' })).toBeUndefined();
  });

  it('refuses a missing or empty list of redirect URIs', () => {
    expect(check({})).toMatchObject({ code: 'invalid_redirect_uri', status: 400 });
    expect(check({ redirect_uris: [] })).toMatchObject({ code: 'invalid_redirect_uri', status: 400 });
  });

  it('refuses more redirect URIs than the limit', () => {
    const uris = Array.from(
      { length: REGISTRATION_LIMITS.redirectUris + 1 },
      (_, i) => `https://a.example/${i}`,
    );
    expect(check({ redirect_uris: uris })).toEqual({
      code: 'invalid_redirect_uri',
      description: 'At most 10 redirect URIs are accepted.',
      status: 400,
    });
    expect(check({ redirect_uris: uris.slice(1) })).toBeUndefined();
  });

  it('names the first bad redirect URI', () => {
    expect(check({ redirect_uris: ['https://ok.example/cb', 'http://evil.example/cb'] })).toMatchObject({
      code: 'invalid_redirect_uri',
      description: expect.stringContaining('http://evil.example/cb'),
    });
  });

  it('refuses a client_name that is too long or not text', () => {
    const redirect_uris = ['https://app.example/cb'];
    expect(check({ redirect_uris, client_name: 'n'.repeat(200) })).toBeUndefined();
    expect(check({ redirect_uris, client_name: 'n'.repeat(201) })).toMatchObject({
      code: 'invalid_client_metadata',
      status: 400,
    });
    expect(check({ redirect_uris, client_name: { en: 'x' } })).toMatchObject({
      code: 'invalid_client_metadata',
    });
  });
});
