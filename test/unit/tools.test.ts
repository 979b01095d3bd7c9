import { describe, expect, it } from 'vitest';
import { isScope } from '../../src/auth/scopes';
import { tools } from '../../src/tools/index';

describe('tool registry', () => {
  it('has unique snake_case names', () => {
    const names = tools.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it.each(tools.map((tool) => [tool.name, tool] as const))(
    '%s declares all four annotations and a known scope',
    (_name, tool) => {
      expect(Object.keys(tool.annotations).sort()).toEqual([
        'destructiveHint',
        'idempotentHint',
        'openWorldHint',
        'readOnlyHint',
      ]);
      for (const value of Object.values(tool.annotations)) expect(typeof value).toBe('boolean');
      expect(isScope(tool.scope)).toBe(true);
      expect(tool.title.length).toBeGreaterThan(0);
      expect(tool.description.length).toBeGreaterThan(0);
    },
  );
});
