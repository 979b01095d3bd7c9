/**
 * `return_to` values that look like a path on this server but that URL parsing (dot segments,
 * encoded dots, backslashes, tabs and newlines, which it drops) turns into `//evil.example/x`,
 * a protocol-relative URL: a browser sent there as-is leaves this server.
 */
export const OFF_ORIGIN_RETURN_TOS = [
  '//evil.example/x',
  '/\\evil.example/x',
  '/.//evil.example/x',
  '/..//evil.example/x',
  '/a/..//evil.example/x',
  '/%2e//evil.example/x',
  '/%2E%2E//evil.example/x',
  '/./\\evil.example/x',
  '/.\\\\evil.example/x',
  '/\t/evil.example/x',
  '/.\n//evil.example/x',
] as const;

/** The origin a browser at `origin` goes to when answered `Location: location`. */
export function resolvedOrigin(location: string | null, origin: string): string {
  if (location === null) throw new Error('No Location header');
  return new URL(location, `${origin}/signin`).origin;
}
