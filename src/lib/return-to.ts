/**
 * A safe place to return to after signing in: a path on this server (never another host, so
 * the sign-in form cannot be turned into an open redirect), `/` otherwise.
 *
 * The check is made on the normalised result, the value we send as `Location`: URL parsing
 * removes dot segments (`/.//evil.example` becomes `//evil.example`), turns `\` into `/`, and
 * drops tabs and newlines, so a value that looks like a path before it can become a
 * protocol-relative URL after it, which a browser resolves on another host.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 8192 || !value.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(value, 'https://return.invalid');
  } catch {
    return '/';
  }
  if (url.origin !== 'https://return.invalid') return '/';
  const path = `${url.pathname}${url.search}`;
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return '/';
  return path;
}
