import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { NOTE_LIMITS } from '../../../src/features/notes/limits';
import { notebookOf } from '../../../src/features/notes/notebook';
import { call, contextFor, newUser, textOf, toolNamed } from '../../support/tools';

const tool = toolNamed('notes_create');

describe('notes_create', () => {
  it('saves a note and returns it, structured and as text', async () => {
    const context = contextFor(newUser());
    const result = await call('notes_create', { title: '  Groceries ', body: 'Eggs, *flour*' }, context);
    expect(result.isError).toBeUndefined();
    const { note } = tool.outputSchema.parse(result.structuredContent) as { note: Record<string, string> };
    expect(note).toMatchObject({ title: 'Groceries', body: 'Eggs, *flour*', uri: `notes://${note.id}` });
    expect(note.createdAt).toBe(note.updatedAt);
    expect(textOf(result)).toBe(`Created the note "Groceries" (id ${note.id}).`);
    const stored = await notebookOf(env, context.user.userId).get(note.id as string);
    expect(stored?.body).toBe('Eggs, *flour*');
  });

  it('says what is wrong with a title or body over the limits, in the schema and in the notebook', async () => {
    const titleCheck = tool.inputSchema.safeParse({ title: 'x'.repeat(NOTE_LIMITS.titleLength + 1) });
    expect(titleCheck.error?.issues[0]?.message).toBe("A note's title has at most 200 characters.");
    const bodyCheck = tool.inputSchema.safeParse({
      title: 't',
      body: 'x'.repeat(NOTE_LIMITS.bodyLength + 1),
    });
    expect(bodyCheck.error?.issues[0]?.message).toBe("A note's body has at most 10000 characters.");
    expect(tool.inputSchema.safeParse({ title: '   ' }).error?.issues[0]?.message).toBe(
      'A note needs a title.',
    );
    // The notebook refuses too, for any path around the schemas.
    const notebook = notebookOf(env, newUser().userId);
    expect(await notebook.create('t', 'x'.repeat(NOTE_LIMITS.bodyLength + 1))).toEqual({
      ok: false,
      problem: "A note's body has at most 10000 characters.",
    });
    expect((await notebook.list(10, 0)).total).toBe(0);
  });

  it('refuses a note beyond the per-user limit, with a clear message, and keeps the rest', async () => {
    const context = contextFor(newUser());
    const notebook = notebookOf(env, context.user.userId);
    await notebook.list(1, 0); // creates the tables
    await runInDurableObject(notebook, (_instance, state) => {
      for (let i = 0; i < NOTE_LIMITS.notesPerUser; i++) {
        state.storage.sql.exec(
          'INSERT INTO notes (id, title, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
          `note-${i}`,
          `Note ${i}`,
          '',
          i,
          i,
        );
      }
    });
    const result = await call('notes_create', { title: 'One too many' }, context);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('You have 500 notes, the most one person can keep. Delete one to make room.');
    expect((await notebook.list(1, 0)).total).toBe(NOTE_LIMITS.notesPerUser);
  });

  it('needs notes:write: with notes:read alone the boundary refuses and stores nothing', async () => {
    const context = contextFor(newUser(), { scopes: ['mcp', 'notes:read'] });
    const result = await call('notes_create', { title: 'Nope' }, context);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('needs the notes:write scope');
    expect((await notebookOf(env, context.user.userId).list(10, 0)).total).toBe(0);
  });
});
