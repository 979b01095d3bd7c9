import { describe, expect, it } from 'vitest';
import { EXPORT_BATCH } from '../../../src/features/notes/notes-export';
import { call, contextFor, createNote, newUser, textOf, toolNamed } from '../../support/tools';

const tool = toolNamed('notes_export');

describe('notes_export', () => {
  it('is a read-only tool of notes:read that may run as a task', () => {
    expect(tool.scope).toBe('notes:read');
    expect(tool.task).toBe('optional');
    expect(tool.annotations).toEqual({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
  });

  it('returns every note as one Markdown document, oldest first, edits keeping their place', async () => {
    const context = contextFor(newUser('ada'));
    const first = await createNote(context, 'First', 'one');
    const second = await createNote(context, 'Second', '');
    await call('notes_update', { id: first, body: 'one, edited' }, context);
    const result = await call('notes_export', {}, context);
    const text = textOf(result);
    const exported = tool.outputSchema.parse(result.structuredContent) as {
      notes: number;
      characters: number;
      exportedAt: string;
    };
    expect(exported).toEqual({ notes: 2, characters: text.length, exportedAt: exported.exportedAt });
    expect(
      text.startsWith(`# Notes of ada\n\n2 notes, oldest first, exported ${exported.exportedAt}.\n\n`),
    ).toBe(true);
    expect(text).toMatch(
      new RegExp(`## First\\n\\none, edited\\n\\n_Note ${first}, created \\S+, updated \\S+\\._`),
    );
    expect(text).toMatch(new RegExp(`## Second\\n\\n_\\(empty\\)_\\n\\n_Note ${second}, created `));
    expect(text.indexOf('## First')).toBeLessThan(text.indexOf('## Second'));
  });

  it('reports progress after each batch of notes', async () => {
    const context = contextFor(newUser());
    const count = EXPORT_BATCH + 3;
    for (let index = 0; index < count; index += 1)
      await createNote(context, `Note ${index}`, `body ${index}`);
    const result = await call('notes_export', {}, context);
    expect((result.structuredContent as { notes: number }).notes).toBe(count);
    expect(context.progressed).toEqual([
      { done: EXPORT_BATCH, total: count, message: `Exported ${EXPORT_BATCH} of ${count} notes.` },
      { done: count, total: count, message: `Exported ${count} of ${count} notes.` },
    ]);
    expect(textOf(result).match(/^## /gm)).toHaveLength(count);
  });

  it('says so when there is nothing to export', async () => {
    const context = contextFor(newUser('empty'));
    const result = await call('notes_export', {}, context);
    expect(textOf(result)).toMatch(/^# Notes of empty\n\nNo notes yet \(exported \S+\)\.$/);
    expect(result.structuredContent).toMatchObject({ notes: 0 });
  });

  it("never exports another user's notes", async () => {
    await createNote(contextFor(newUser('ada')), 'Private', 'secret');
    const result = await call('notes_export', {}, contextFor(newUser('bob')));
    expect(textOf(result)).not.toContain('secret');
  });

  it('needs notes:read', async () => {
    const refused = await call('notes_export', {}, contextFor(newUser(), { scopes: ['mcp'] }));
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('needs the notes:read scope');
  });
});
