import { describe, expect, it } from 'vitest';
import { tools } from '../../src/features/index';
import { defineTool, type ToolDefinition, toolDefinitionProblems } from '../../src/tools/define-tool';

describe('tool registry', () => {
  it('has unique names', () => {
    const names = tools.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(tools.map((tool) => [tool.name, tool] as const))(
    '%s declares a description, all four annotations, a known scope and both schemas',
    (_name, tool) => {
      expect(toolDefinitionProblems(tool)).toEqual([]);
    },
  );

  it('tools that change notes need notes:write; tools that read them need notes:read', () => {
    const notesTools = tools.filter((candidate) => candidate.name.startsWith('notes_'));
    for (const tool of notesTools.filter((candidate) => candidate.name !== 'notes_access')) {
      expect(tool.scope, tool.name).toBe(tool.annotations.readOnlyHint ? 'notes:read' : 'notes:write');
    }
    // The one tool only the notes view calls reads no note: it tells the view what the grant allows.
    const access = notesTools.find((tool) => tool.name === 'notes_access');
    expect(access?.scope).toBe('mcp');
    expect(access?._meta).toMatchObject({ ui: { visibility: ['app'] } });
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
  ])('defineTool refuses a tool with %s, naming the problem', (_case, change, problem) => {
    expect(toolDefinitionProblems(valid)).toEqual([]);
    const broken = { ...valid, ...change } as unknown as ToolDefinition;
    expect(toolDefinitionProblems(broken)).toContain(problem);
    expect(() => defineTool(broken)).toThrow(problem);
  });
});
