import { describe, expect, it } from 'vitest';
import { call, contextFor, createNote, newUser, textOf, toolNamed } from '../../support/tools';

const tool = toolNamed('notes_delete');

async function exists(context: ReturnType<typeof contextFor>, id: string): Promise<boolean> {
  return !(await call('notes_get', { id }, context)).isError;
}

describe('notes_delete', () => {
  it('a client that cannot be asked must pass confirm: true, and the tool says so', async () => {
    const context = contextFor(newUser(), { confirmation: { status: 'unavailable' } });
    const id = await createNote(context, 'Old');
    const refused = await call('notes_delete', { id }, context);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(
      `Deleting a note cannot be undone, and this app cannot show the user a confirmation. Ask the user whether to delete the note "Old" (id ${id}); only if they say yes, call notes_delete again with confirm: true.`,
    );
    expect(await exists(context, id)).toBe(true);
    const deleted = await call('notes_delete', { id, confirm: true }, context);
    expect(tool.outputSchema.parse(deleted.structuredContent)).toEqual({ id, title: 'Old', deleted: true });
    expect(textOf(deleted)).toBe('Deleted the note "Old".');
    expect(await exists(context, id)).toBe(false);
  });

  it('asks the user first, with the note named in the question', async () => {
    const context = contextFor(newUser(), { confirmation: { status: 'confirmed' } });
    const id = await createNote(context, 'Taxes 2025');
    const result = await call('notes_delete', { id }, context);
    expect(context.asked).toEqual(['Delete the note "Taxes 2025"? This cannot be undone.']);
    expect(result.structuredContent).toEqual({ id, title: 'Taxes 2025', deleted: true });
    expect(await exists(context, id)).toBe(false);
  });

  it('keeps the note when the user declines', async () => {
    const context = contextFor(newUser(), { confirmation: { status: 'declined' } });
    const id = await createNote(context, 'Keep me');
    const result = await call('notes_delete', { id, confirm: true }, context);
    expect(result.structuredContent).toEqual({ id, title: 'Keep me', deleted: false });
    expect(textOf(result)).toBe('Kept the note "Keep me": the user did not confirm the deletion.');
    expect(await exists(context, id)).toBe(true);
  });

  it("cannot delete another user's note, even with confirm: true", async () => {
    const ada = contextFor(newUser('ada'));
    const id = await createNote(ada, 'Ada’s');
    const result = await call('notes_delete', { id, confirm: true }, contextFor(newUser('bob')));
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`There is no note with id ${id}.`);
    expect(await exists(ada, id)).toBe(true);
  });

  it('is declared destructive, and needs notes:write', () => {
    expect(tool.annotations).toEqual({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    });
    expect(tool.scope).toBe('notes:write');
  });
});
