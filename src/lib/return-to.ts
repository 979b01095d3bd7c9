/**
 * A safe place to return to after signing in: a path on this server (never another host, so
 * the sign-in form cannot be turned into an open redirect), `/` otherwise.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 8192) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  try {
    const url = new URL(value, 'https://return.invalid');
    if (url.origin !== 'https://return.invalid') return '/';
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}
