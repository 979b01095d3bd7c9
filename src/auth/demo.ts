import { isLoopbackHostname } from '../lib/hosts';
import type { Props } from './props';

/**
 * The demo sign-in (any email, any password) is on only where it cannot hurt: on a loopback host
 * (`wrangler dev`), or where `DEMO_SIGN_IN=true` turns it on explicitly.
 */
export function isDemoSignInEnabled(env: { DEMO_SIGN_IN?: string }, url: URL): boolean {
  return isLoopbackHostname(url.hostname) || env.DEMO_SIGN_IN === 'true';
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** The user a demo sign-in makes, or a message saying what is wrong with the form. */
export function demoUser(email: unknown, password: unknown): Props | string {
  if (typeof email !== 'string' || typeof password !== 'string') return 'Enter an email and a password.';
  const address = email.trim().toLowerCase();
  if (address.length > 254 || !EMAIL.test(address))
    return 'Enter a valid email address, like ada@example.com.';
  if (password.length === 0) return 'Enter a password (any password works here).';
  if (password.length > 1024) return 'That password is too long.';
  const name = address.slice(0, address.indexOf('@'));
  return { userId: `demo:${address}`, email: address, name, provider: 'demo' };
}
