import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { callTool } from '../../src/mcp/tool-call';
import { defineTool, ToolError } from '../../src/tools/define-tool';
import { contextFor, newUser } from '../support/tools';

function failingTool(error: unknown) {
  return defineTool({
    name: 'explodes',
    title: 'Explodes',
    description: 'Fails on purpose.',
    inputSchema: z.object({}),
    outputSchema: z.object({}),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    scope: 'notes:read',
    async handler() {
      throw error;
    },
  });
}

describe('the tool error boundary', () => {
  it('turns a ToolError into an isError result with its message', async () => {
    const result = await callTool(
      failingTool(new ToolError('A message we wrote.')),
      {},
      contextFor(newUser()),
    );
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'A message we wrote.' }] });
  });

  it('turns any other error into a generic message: no upstream text, no stack', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const raw = new Error('SQLITE_ERROR: no such table: secret_internal_table at Notebook.create');
    const result = await callTool(failingTool(raw), {}, contextFor(newUser()));
    expect(result).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'The tool explodes failed unexpectedly.' }],
    });
    expect(JSON.stringify(result)).not.toContain('secret_internal_table');
    expect(logged).toHaveBeenCalledOnce();
    logged.mockRestore();
  });

  it('refuses before the handler runs when the grant lacks the scope', async () => {
    const handler = vi.fn();
    const tool = { ...failingTool(new Error('never')), handler };
    const result = await callTool(tool, {}, contextFor(newUser(), { scopes: ['mcp'] }));
    expect(handler).not.toHaveBeenCalled();
    expect(result).toEqual({
      isError: true,
      content: [
        {
          type: 'text',
          text: 'This app may not use explodes: it needs the notes:read scope (Read your notes). Connect the app again and allow it.',
        },
      ],
    });
  });
});
