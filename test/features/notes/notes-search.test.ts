import { describe, expect, it } from 'vitest';
import { call, contextFor, createNote, newUser, textOf, toolNamed } from '../../support/tools';

const tool = toolNamed('notes_search');

describe('notes_search', () => {
  it('finds notes by title or body, ignoring case, most recent first', async () => {
    const context = contextFor(newUser());
    const inTitle = await createNote(context, 'Paris trip', 'Louvre');
    await createNote(context, 'Groceries', 'eggs');
    const inBody = await createNote(context, 'Ideas', 'A weekend in PARIS');
    const result = await call('notes_search', { query: 'paris' }, context);
    const found = tool.outputSchema.parse(result.structuredContent) as {
      notes: Array<{ id: string }>;
      total: number;
    };
    expect(found.total).toBe(2);
    expect(found.notes.map((note) => note.id)).toEqual([inBody, inTitle]);
    expect(textOf(result)).toBe(
      `2 notes contain "paris":\n- Ideas (${inBody}): A weekend in PARIS\n- Paris trip (${inTitle}): Louvre`,
    );
  });

  it('takes the query literally (no wildcards) and says when nothing matches', async () => {
    const context = contextFor(newUser());
    await createNote(context, 'Budget', '100 euros');
    for (const query of ['%', '_', '100%']) {
      const result = await call('notes_search', { query }, context);
      expect((result.structuredContent as { total: number }).total).toBe(0);
      expect(textOf(result)).toBe(`No note contains "${query}".`);
    }
  });

  it("never finds another user's notes", async () => {
    await createNote(contextFor(newUser('ada')), 'Secret plan', 'secret');
    const result = await call('notes_search', { query: 'secret' }, contextFor(newUser('bob')));
    expect((result.structuredContent as { total: number }).total).toBe(0);
  });

  it('refuses an empty query with our message', () => {
    expect(tool.inputSchema.safeParse({ query: '  ' }).error?.issues[0]?.message).toBe(
      'Give some words to search for.',
    );
  });
});
