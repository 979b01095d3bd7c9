import { describe, expect, it } from 'vitest';
import { isLoopbackHostname } from '../../src/lib/hosts';

describe('isLoopbackHostname', () => {
  it.each(['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.255.0.9', '[::1]', '::1'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHostname(host)).toBe(true);
    },
  );

  it.each([
    'localhost.evil.example',
    'example.com',
    '128.0.0.1',
    '127.0.0.256',
    '127.0.0',
    '127.0.0.1.evil.example',
    '0.0.0.0',
    '[::2]',
    '',
  ])('%j is not', (host) => {
    expect(isLoopbackHostname(host)).toBe(false);
  });
});
