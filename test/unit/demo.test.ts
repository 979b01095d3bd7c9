import { describe, expect, it } from 'vitest';
import { demoUser, isDemoSignInEnabled } from '../../src/auth/demo';

describe('isDemoSignInEnabled', () => {
  it.each(['http://localhost:8787/', 'http://127.0.0.1:8787/', 'http://[::1]:8787/'])(
    'is on at %s',
    (url) => {
      expect(isDemoSignInEnabled({ DEMO_SIGN_IN: 'false' }, new URL(url))).toBe(true);
    },
  );

  it('is off on a public host unless DEMO_SIGN_IN is exactly "true"', () => {
    const url = new URL('https://mcp.example.com/');
    expect(isDemoSignInEnabled({}, url)).toBe(false);
    expect(isDemoSignInEnabled({ DEMO_SIGN_IN: 'false' }, url)).toBe(false);
    expect(isDemoSignInEnabled({ DEMO_SIGN_IN: 'TRUE' }, url)).toBe(false);
    expect(isDemoSignInEnabled({ DEMO_SIGN_IN: '1' }, url)).toBe(false);
    expect(isDemoSignInEnabled({ DEMO_SIGN_IN: 'true' }, url)).toBe(true);
  });
});

describe('demoUser', () => {
  it('signs in any email with any password, normalised', () => {
    expect(demoUser('  Ada.Lovelace@Example.COM ', 'x')).toEqual({
      userId: 'demo:ada.lovelace@example.com',
      email: 'ada.lovelace@example.com',
      name: 'ada.lovelace',
      provider: 'demo',
    });
  });

  it.each([
    ['a missing email', undefined, 'pw', 'Enter an email and a password.'],
    ['a file instead of text', 'ada@example.com', 42, 'Enter an email and a password.'],
    ['no @', 'ada.example.com', 'pw', 'Enter a valid email address, like ada@example.com.'],
    ['no domain dot', 'ada@example', 'pw', 'Enter a valid email address, like ada@example.com.'],
    ['markup', '<b>@example.com', 'pw', 'Enter a valid email address, like ada@example.com.'],
    ['a space inside', 'a da@example.com', 'pw', 'Enter a valid email address, like ada@example.com.'],
    [
      'an overlong address',
      `${'a'.repeat(250)}@example.com`,
      'pw',
      'Enter a valid email address, like ada@example.com.',
    ],
    ['an empty password', 'ada@example.com', '', 'Enter a password (any password works here).'],
    ['an overlong password', 'ada@example.com', 'p'.repeat(1025), 'That password is too long.'],
  ])('refuses %s with a message', (_name, email, password, message) => {
    expect(demoUser(email, password)).toBe(message);
  });
});
