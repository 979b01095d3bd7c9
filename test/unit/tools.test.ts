import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { isScope } from '../../src/auth/scopes';
import type { ToolDefinition } from '../../src/tools/define-tool';
import { tools } from '../../src/tools/index';

const ANNOTATIONS = ['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint'];

/** Why a tool definition is not fit for the registry, or `[]` (the rules of AGENTS.md). */
function problemsOf(tool: ToolDefinition): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9_]*$/.test(tool.name)) problems.push('name is not snake_case');
  if (!tool.title?.trim()) problems.push('no title');
  if (!tool.description?.trim()) problems.push('no description');
  const annotations = (tool.annotations ?? {}) as unknown as Record<string, unknown>;
  if (Object.keys(annotations).sort().join() !== ANNOTATIONS.join())
    problems.push('not exactly the four annotations');
  for (const [name, value] of Object.entries(annotations)) {
    if (typeof value !== 'boolean') problems.push(`${name} is not a boolean`);
  }
  if (annotations.readOnlyHint === true && annotations.destructiveHint === true) {
    problems.push('read-only and destructive at once');
  }
  if (typeof tool.scope !== 'string' || !isScope(tool.scope)) problems.push('no known scope');
  if (!isToolSchema(tool.inputSchema)) problems.push('no input schema (zod or JSON Schema)');
  if (!isToolSchema(tool.outputSchema)) problems.push('no output schema (zod or JSON Schema)');
  return problems;
}

/** A zod schema, or a JSON Schema object (src/tools/support/schema.ts checks the rest when the tool is defined). */
function isToolSchema(schema: unknown): boolean {
  return (
    schema instanceof z.ZodType || (typeof schema === 'object' && schema !== null && !Array.isArray(schema))
  );
}

describe('tool registry', () => {
  it('has unique names', () => {
    const names = tools.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(tools.map((tool) => [tool.name, tool] as const))(
    '%s declares a description, all four annotations, a known scope and both schemas',
    (_name, tool) => {
      expect(problemsOf(tool)).toEqual([]);
    },
  );

  it('tools that change notes need notes:write; tools that read them need notes:read', () => {
    for (const tool of tools.filter((candidate) => candidate.name.startsWith('notes_'))) {
      expect(tool.scope, tool.name).toBe(tool.annotations.readOnlyHint ? 'notes:read' : 'notes:write');
    }
  });

  const valid = tools.find((tool) => tool.name === 'add') as ToolDefinition;
  it.each([
    ['no annotations', { annotations: undefined }, 'not exactly the four annotations'],
    [
      'three annotations',
      { annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true } },
      'not exactly the four annotations',
    ],
    ['no scope', { scope: undefined }, 'no known scope'],
    ['an unknown scope', { scope: 'admin' }, 'no known scope'],
    ['no description', { description: '' }, 'no description'],
    ['a camelCase name', { name: 'notesCreate' }, 'name is not snake_case'],
    ['no input schema', { inputSchema: undefined }, 'no input schema (zod or JSON Schema)'],
    [
      'an output schema that is a string',
      { outputSchema: 'object' },
      'no output schema (zod or JSON Schema)',
    ],
  ])('refuses a tool with %s', (_case, change, problem) => {
    expect(problemsOf(valid)).toEqual([]);
    expect(problemsOf({ ...valid, ...change } as unknown as ToolDefinition)).toContain(problem);
  });
});
