import type { GrantSummary } from '@cloudflare/workers-oauth-provider';
import { describe, expect, it } from 'vitest';
import { cimdDomain } from '../../src/auth/connected-apps';
import { grantMatches, rememberSecret } from '../../src/auth/consent-memory';
import type { AppEnv } from '../../src/auth/env';
import { grantOfToken } from '../../src/auth/grant-activity';
import { replacesGrant } from '../../src/auth/grant-replacement';

const envWith = (secret: string) => ({ SESSION_SECRET: secret }) as AppEnv;

describe('rememberSecret (the approvals cookie key)', () => {
  it('is derived from the session secret: 43 base64url characters, stable, never the secret itself', async () => {
    const secret = 'a session secret that is long enough for tests';
    const derived = await rememberSecret(envWith(secret));
    expect(derived).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await rememberSecret(envWith(secret))).toBe(derived);
    expect(derived).not.toContain(secret);
  });

  it('changes with the session secret', async () => {
    const one = await rememberSecret(envWith('first secret first secret first secret'));
    const two = await rememberSecret(envWith('second secret second secret second secret'));
    expect(one).not.toBe(two);
  });
});

describe('grantOfToken', () => {
  it('reads the user and grant of a token the library issued', () => {
    expect(grantOfToken('user123:grant456:secret789')).toEqual({ userId: 'user123', grantId: 'grant456' });
  });

  it.each(['', 'opaque', 'a:b', 'a:b:c:d', '::', 'a::c'])('finds nothing in %j', (token) => {
    expect(grantOfToken(token)).toBeNull();
  });
});

describe('cimdDomain', () => {
  it('is the host of an https client id, and nothing for a registered one', () => {
    expect(cimdDomain('https://app.example.com/oauth/client.json')).toBe('app.example.com');
    expect(cimdDomain('Xy12abCD34efGH56')).toBeUndefined();
    expect(cimdDomain('http://app.example.com/client.json')).toBeUndefined();
  });
});

describe('grantMatches', () => {
  const grant = {
    id: 'g',
    clientId: 'client',
    userId: 'u',
    scope: ['mcp'],
    metadata: {},
    createdAt: 0,
    redirectUri: 'http://127.0.0.1:1/cb',
    resource: 'https://mcp.example.com',
  } satisfies GrantSummary;
  const request = {
    clientId: 'client',
    redirectUri: 'http://127.0.0.1:1/cb',
    resource: 'https://mcp.example.com',
  };

  it('needs the same client, redirect URI and resource', () => {
    expect(grantMatches(grant, request)).toBe(true);
    expect(grantMatches(grant, { ...request, clientId: 'other' })).toBe(false);
    expect(grantMatches(grant, { ...request, redirectUri: 'http://127.0.0.1:2/cb' })).toBe(false);
    expect(grantMatches(grant, { ...request, resource: 'https://other.example.com' })).toBe(false);
    expect(grantMatches({ ...grant, redirectUri: undefined }, request)).toBe(false);
    expect(grantMatches({ ...grant, resource: ['https://mcp.example.com'] }, request)).toBe(true);
  });
});

describe('replacesGrant (the earlier grants a redeemed remembered grant retires)', () => {
  const older = {
    id: 'old',
    clientId: 'client',
    userId: 'u',
    scope: ['mcp'],
    metadata: {},
    createdAt: 100,
    redirectUri: 'http://127.0.0.1:1/cb',
    resource: 'https://mcp.example.com/mcp',
  } satisfies GrantSummary;
  const newer = { ...older, id: 'new', createdAt: 200 };

  it('an earlier grant of the same client and resource, whatever its redirect URI (a registered client)', () => {
    expect(replacesGrant(newer, older)).toBe(true);
    expect(replacesGrant(newer, { ...older, createdAt: 200 })).toBe(true);
    expect(replacesGrant(newer, { ...older, redirectUri: 'http://127.0.0.1:2/cb' })).toBe(true);
    expect(replacesGrant(newer, { ...older, resource: ['https://mcp.example.com/mcp'] })).toBe(true);
  });

  it('not itself, a later grant, another client or resource, nor a grant without a resource', () => {
    expect(replacesGrant(newer, newer)).toBe(false);
    expect(replacesGrant(older, newer)).toBe(false);
    expect(replacesGrant(newer, { ...older, clientId: 'other' })).toBe(false);
    expect(replacesGrant(newer, { ...older, resource: 'https://mcp.example.com/sse' })).toBe(false);
    expect(replacesGrant(newer, { ...older, resource: undefined })).toBe(false);
  });

  it('for a Client ID Metadata Document client (one id, many installations), only from the same redirect URI', () => {
    const clientId = 'https://app.example.com/oauth/client.json';
    const cimd = { ...newer, clientId };
    expect(replacesGrant(cimd, { ...older, clientId })).toBe(true);
    expect(replacesGrant(cimd, { ...older, clientId, redirectUri: 'https://app.example.com/cb2' })).toBe(
      false,
    );
  });
});
