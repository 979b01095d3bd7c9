import { describe, expect, it } from 'vitest';
import { NOTE_LIMITS } from '../../../src/features/notes/limits';
import { call, contextFor, createNote, newUser, textOf, toolNamed } from '../../support/tools';

const tool = toolNamed('notes_update');

describe('notes_update', () => {
  it('replaces only what it is given and moves the update time forward', async () => {
    const context = contextFor(newUser());
    const id = await createNote(context, 'Draft', 'first version');
    const before = (await call('notes_get', { id }, context)).structuredContent as {
      note: { updatedAt: string; createdAt: string };
    };
    const result = await call('notes_update', { id, title: 'Final' }, context);
    const { note } = tool.outputSchema.parse(result.structuredContent) as {
      note: { title: string; body: string; updatedAt: string; createdAt: string };
    };
    expect(note).toMatchObject({ title: 'Final', body: 'first version', createdAt: before.note.createdAt });
    expect(note.updatedAt > before.note.updatedAt).toBe(true);
    expect(textOf(result)).toBe(`Updated the note "Final" (id ${id}).`);
  });

  it('refuses an update with nothing to change, an unknown note and an oversized body', async () => {
    const context = contextFor(newUser());
    const id = await createNote(context, 'Keep', 'as is');
    const nothing = await call('notes_update', { id }, context);
    expect(textOf(nothing)).toBe('Nothing to change: give a new title, a new body, or both.');
    const unknown = await call('notes_update', { id: 'missing', body: 'x' }, context);
    expect(textOf(unknown)).toContain('There is no note with id missing.');
    const oversized = tool.inputSchema.safeParse({ id, body: 'x'.repeat(NOTE_LIMITS.bodyLength + 1) });
    expect(oversized.error?.issues[0]?.message).toBe("A note's body has at most 10000 characters.");
    const kept = (await call('notes_get', { id }, context)).structuredContent as { note: { body: string } };
    expect(kept.note.body).toBe('as is');
  });

  it("cannot change another user's note", async () => {
    const ada = contextFor(newUser('ada'));
    const id = await createNote(ada, 'Mine', 'original');
    const result = await call('notes_update', { id, body: 'hacked' }, contextFor(newUser('bob')));
    expect(result.isError).toBe(true);
    const kept = (await call('notes_get', { id }, ada)).structuredContent as { note: { body: string } };
    expect(kept.note.body).toBe('original');
  });
});
