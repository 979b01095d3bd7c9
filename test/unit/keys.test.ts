import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toBase64Url } from '../../src/lib/base64url';
import { type KeyEnv, open, purposeKey, sameSecret, seal, sign, verify } from '../../src/lib/keys';

const secretEnv = (secret: string): KeyEnv => ({ SESSION_SECRET: secret, OAUTH_KV: env.OAUTH_KV });
const one = secretEnv('the first secret, long enough for a test 0123456789');
const two = secretEnv('the second secret, long enough for a test 0123456789');

/** HMAC-SHA256(key, text), computed here rather than by the module under test. */
async function hmac(key: Uint8Array | string, text: string): Promise<Uint8Array> {
  const raw = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  const imported = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('HMAC', imported, new TextEncoder().encode(text)));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('purposeKey', () => {
  it('is HMAC-SHA256(secret, label), one key per purpose, never the secret', async () => {
    const secret = one.SESSION_SECRET ?? '';
    const key = await purposeKey(one, 'request-state');
    expect(key).toEqual(await hmac(secret, 'remote-mcp-server request-state key v1'));
    expect(await purposeKey(one, 'request-state')).toEqual(key);
    expect(await purposeKey(one, 'remembered-consent')).not.toEqual(key);
    expect(await purposeKey(two, 'request-state')).not.toEqual(key);
  });

  it('keeps the labels of the keys that existed before it: remembered consent and request states still verify', async () => {
    const secret = one.SESSION_SECRET ?? '';
    expect(toBase64Url(await purposeKey(one, 'remembered-consent'))).toBe(
      toBase64Url(await hmac(secret, 'remembered-consent:v1')),
    );
  });

  it('without SESSION_SECRET, uses one random secret kept in KV (loopback hosts only)', async () => {
    const local: KeyEnv = { OAUTH_KV: env.OAUTH_KV };
    const key = await purposeKey(local, 'session');
    const stored = await env.OAUTH_KV.get('config:session-secret');
    expect(stored).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).toEqual(await hmac(stored ?? '', 'remote-mcp-server session key v1'));
  });
});

describe('sign / verify', () => {
  it('verifies its own signature for the same purpose and data', async () => {
    const signature = await sign(one, 'consent-offer', 'handle.mcp notes:read');
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await verify(one, 'consent-offer', 'handle.mcp notes:read', signature)).toBe(true);
  });

  it('refuses another purpose, other data, another secret, an altered or malformed signature', async () => {
    const signature = await sign(one, 'consent-offer', 'data');
    expect(await verify(one, 'session', 'data', signature)).toBe(false);
    expect(await verify(one, 'consent-offer', 'datA', signature)).toBe(false);
    expect(await verify(two, 'consent-offer', 'data', signature)).toBe(false);
    const altered = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await verify(one, 'consent-offer', 'data', altered)).toBe(false);
    expect(await verify(one, 'consent-offer', 'data', `${signature}=`)).toBe(false);
    expect(await verify(one, 'consent-offer', 'data', '')).toBe(false);
  });
});

describe('seal / open', () => {
  const user = { userId: 'demo:ada@example.com', email: 'ada@example.com', name: 'Ada', provider: 'demo' };

  it('opens what it sealed, for the same purpose, until it expires', async () => {
    const sealed = await seal(one, 'session', user, 60);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await open(one, 'session', sealed)).toEqual(user);
  });

  it('opens nothing sealed for another purpose or with another secret', async () => {
    const sealed = await seal(one, 'pending-sign-in', user, 60);
    expect(await open(one, 'session', sealed)).toBeNull();
    expect(await open(two, 'pending-sign-in', sealed)).toBeNull();
  });

  it('opens nothing altered: another payload under the same signature, a cut or extended value', async () => {
    const sealed = await seal(one, 'session', user, 60);
    const [, signature] = sealed.split('.');
    const forged = toBase64Url(
      new TextEncoder().encode(JSON.stringify({ exp: 4102444800, value: { ...user, userId: 'demo:root' } })),
    );
    expect(await open(one, 'session', `${forged}.${signature}`)).toBeNull();
    expect(await open(one, 'session', sealed.slice(0, -1))).toBeNull();
    expect(await open(one, 'session', `${sealed}.x`)).toBeNull();
    expect(await open(one, 'session', sealed.replace('.', ''))).toBeNull();
    expect(await open(one, 'session', '')).toBeNull();
    expect(await open(one, 'session', undefined)).toBeNull();
  });

  it('opens nothing once expired, even with a valid signature', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z'), toFake: ['Date'] });
    const sealed = await seal(one, 'session', user, 60);
    vi.setSystemTime(new Date('2030-01-01T00:00:59Z'));
    expect(await open(one, 'session', sealed)).toEqual(user);
    vi.setSystemTime(new Date('2030-01-01T00:01:00Z'));
    expect(await open(one, 'session', sealed)).toBeNull();
  });

  it('opens nothing signed but not of its form (no expiry, not JSON)', async () => {
    const data = toBase64Url(new TextEncoder().encode(JSON.stringify({ value: user })));
    expect(await open(one, 'session', `${data}.${await sign(one, 'session', data)}`)).toBeNull();
    const notJson = toBase64Url(new TextEncoder().encode('{not json'));
    expect(await open(one, 'session', `${notJson}.${await sign(one, 'session', notJson)}`)).toBeNull();
  });
});

describe('sameSecret', () => {
  it('compares in constant time (crypto.subtle.timingSafeEqual), any difference or length is unequal', () => {
    const compare = vi.spyOn(crypto.subtle, 'timingSafeEqual');
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(compare).toHaveBeenCalledOnce();
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    compare.mockRestore();
  });
});
