import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/lib/return-to';

/** Where a browser on this server goes with `location` as a `Location` header. */
function resolvedOrigin(location: string): string {
  return new URL(location, 'https://mcp.example.com/signin').origin;
}

describe('safeReturnTo', () => {
  it('keeps a path on this server with its query', () => {
    expect(safeReturnTo('/authorize?client_id=a&state=b')).toBe('/authorize?client_id=a&state=b');
    expect(safeReturnTo('/')).toBe('/');
  });

  it.each([
    ['another host', 'https://evil.example/'],
    ['a protocol-relative URL', '//evil.example/x'],
    ['a backslash trick', '/\\evil.example/x'],
    ['a relative path', 'authorize'],
    ['javascript:', 'javascript:alert(1)'],
    ['nothing', undefined],
    ['a number', 42],
    ['an overlong value', `/${'a'.repeat(8192)}`],
  ])('turns %s into /', (_name, value) => {
    expect(safeReturnTo(value)).toBe('/');
  });

  it('drops a fragment and normalises dot segments without leaving the server', () => {
    expect(safeReturnTo('/a/../b#x')).toBe('/b');
    expect(safeReturnTo('/../../evil')).toBe('/evil');
  });

  // Each of these starts with one `/`, and only URL parsing turns it into `//evil.example/x`.
  it.each([
    ['a single-dot segment', '/.//evil.example/x'],
    ['a double-dot segment', '/..//evil.example/x'],
    ['dot segments further in', '/a/..//evil.example/x'],
    ['an encoded dot', '/%2e//evil.example/x'],
    ['encoded double dots, upper case', '/%2E%2E//evil.example/x'],
    ['a dot segment then a backslash', '/./\\evil.example/x'],
    ['a dot segment then two backslashes', '/.\\\\evil.example/x'],
    ['a tab between the slashes', '/\t/evil.example/x'],
    ['a newline between the slashes', '/\n/evil.example/x'],
    ['a carriage return after a dot segment', '/.\r//evil.example/x'],
    ['a tab inside a dot segment', '/.\t.//evil.example/x'],
  ])('turns %s into /, never a path a browser resolves on another host', (_name, value) => {
    expect(safeReturnTo(value)).toBe('/');
  });

  it.each([
    ['an encoded backslash', '/%5cevil.example/x', '/%5cevil.example/x'],
    ['an encoded backslash after a dot segment', '/.//%5cevil.example', '/'],
    ['an encoded slash', '/%2fevil.example/x', '/%2fevil.example/x'],
  ])('keeps %s a path on this server', (_name, value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
    expect(resolvedOrigin(safeReturnTo(value))).toBe('https://mcp.example.com');
  });

  it('never answers a value a browser resolves off this origin (every prefix of slashes, dots and tricks)', () => {
    const parts = ['/', '\\', '.', '..', '%2e', '%2E', '%5c', '%2f', '\t', '\n', 'evil.example'];
    const seen = new Set<string>();
    const grow = (prefix: string, depth: number) => {
      for (const part of parts) {
        const value = `${prefix}${part}`;
        const returned = safeReturnTo(`${value}/x`);
        if (!seen.has(returned)) {
          seen.add(returned);
          expect(resolvedOrigin(returned), `${JSON.stringify(value)} → ${returned}`).toBe(
            'https://mcp.example.com',
          );
        }
        if (depth > 0) grow(value, depth - 1);
      }
    };
    grow('/', 3);
  });
});
