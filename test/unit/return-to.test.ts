import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/lib/return-to';

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
});
