import { describe, expect, it } from 'vitest';
import { call, contextFor, createNote, newUser, textOf, toolNamed } from '../../support/tools';

const tool = toolNamed('notes_list');

describe('notes_list', () => {
  it('lists the most recently updated notes first, a page at a time, with the total', async () => {
    const context = contextFor(newUser());
    const first = await createNote(context, 'First', 'one');
    const second = await createNote(context, 'Second', 'two');
    const third = await createNote(context, 'Third', 'three');
    await call('notes_update', { id: first, body: 'one, changed' }, context);

    const page = await call('notes_list', { limit: 2 }, context);
    const listed = tool.outputSchema.parse(page.structuredContent) as {
      notes: Array<{ id: string; title: string; excerpt: string; uri: string }>;
      total: number;
    };
    expect(listed.total).toBe(3);
    expect(listed.notes.map((note) => note.id)).toEqual([first, third]);
    expect(listed.notes[0]).toMatchObject({
      title: 'First',
      excerpt: 'one, changed',
      uri: `notes://${first}`,
    });
    expect(textOf(page)).toBe(
      `Notes 1 to 2 of 3:\n- First (${first}): one, changed\n- Third (${third}): three`,
    );

    const next = await call('notes_list', { limit: 2, offset: 2 }, context);
    expect((next.structuredContent as { notes: Array<{ id: string }> }).notes.map((note) => note.id)).toEqual(
      [second],
    );
  });

  it('says so when there are no notes', async () => {
    const result = await call('notes_list', {}, contextFor(newUser()));
    expect(result.structuredContent).toEqual({ notes: [], total: 0, offset: 0 });
    expect(textOf(result)).toBe('You have no notes yet.');
  });

  it("never lists another user's notes", async () => {
    const ada = contextFor(newUser('ada'));
    await createNote(ada, 'Ada only');
    const result = await call('notes_list', {}, contextFor(newUser('bob')));
    expect((result.structuredContent as { total: number }).total).toBe(0);
  });

  it('needs notes:read (notes:write implies it)', async () => {
    const user = newUser();
    const refused = await call('notes_list', {}, contextFor(user, { scopes: ['mcp'] }));
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('needs the notes:read scope');
    const allowed = await call('notes_list', {}, contextFor(user, { scopes: ['mcp', 'notes:write'] }));
    expect(allowed.isError).toBeUndefined();
  });
});
