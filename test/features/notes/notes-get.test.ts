import { describe, expect, it } from 'vitest';
import { call, contextFor, createNote, newUser, textOf, toolNamed } from '../../support/tools';

const tool = toolNamed('notes_get');

describe('notes_get', () => {
  it('returns the whole note, structured and as Markdown', async () => {
    const context = contextFor(newUser());
    const id = await createNote(context, 'Recipe', 'Mix.\n\nBake.');
    const result = await call('notes_get', { id }, context);
    const { note } = tool.outputSchema.parse(result.structuredContent) as { note: Record<string, string> };
    expect(note).toMatchObject({ id, title: 'Recipe', body: 'Mix.\n\nBake.', uri: `notes://${id}` });
    expect(textOf(result)).toBe(`# Recipe\n\nMix.\n\nBake.\n\n_Note ${id}, updated ${note.updatedAt}._\n`);
  });

  it("answers an unknown id, and another user's id, with the same message of ours", async () => {
    const ada = contextFor(newUser('ada'));
    const adas = await createNote(ada, 'Private');
    const bob = contextFor(newUser('bob'));
    for (const id of ['no-such-note', adas]) {
      const result = await call('notes_get', { id }, bob);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        `There is no note with id ${id}. notes_list and notes_search show the ids of your notes.`,
      );
    }
  });
});
