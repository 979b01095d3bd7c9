import { describe, expect, it } from 'vitest';
import { fromBase64Url, randomToken, toBase64Url } from '../../src/lib/base64url';

describe('base64url (RFC 4648 §5)', () => {
  it('encodes without padding, with - and _ for + and /', () => {
    expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
    expect(toBase64Url(new TextEncoder().encode('a'))).toBe('YQ');
    expect(toBase64Url(new Uint8Array())).toBe('');
  });

  it('decodes what it encodes', () => {
    const bytes = crypto.getRandomValues(new Uint8Array(57));
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
  });

  it.each(['a+b', 'a/b', 'YQ==', 'has space', 'é'])('refuses %j with null', (text) => {
    expect(fromBase64Url(text)).toBeNull();
  });

  it('refuses an impossible length with null', () => {
    expect(fromBase64Url('a')).toBeNull();
  });

  it('makes random tokens of the requested size', () => {
    const token = randomToken(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(32)).not.toBe(token);
    expect(fromBase64Url(randomToken(16))?.length).toBe(16);
  });
});
