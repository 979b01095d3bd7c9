import * as z from 'zod';
import { defineTool, ToolError } from '../../tools/define-tool';
import { notebookOf } from './notebook';
import { noSuchNote, noteBody, noteId, noteOutput, notesIcons, noteTitle, noteView } from './shared';

const input = z.object({
  id: noteId,
  title: noteTitle.optional().describe('The new title; leave out to keep the current one'),
  body: noteBody.optional().describe('The new body, replacing the old one; leave out to keep it'),
});

const output = z.object({ note: noteOutput });

export default defineTool({
  name: 'notes_update',
  title: 'Change a note',
  description:
    'Replaces the title, the body, or both, of one of the signed-in user’s notes. The old text is not kept.',
  inputSchema: input,
  outputSchema: output,
  icons: notesIcons,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'notes:write',
  async handler({ id, title, body }, { user, env }) {
    if (title === undefined && body === undefined) {
      throw new ToolError('Nothing to change: give a new title, a new body, or both.');
    }
    const updated = await notebookOf(env, user.userId).update(id, { title, body });
    if (!updated.ok) throw new ToolError('missing' in updated ? noSuchNote(id) : updated.problem);
    return {
      structured: { note: noteView(updated.note) },
      text: `Updated the note "${updated.note.title}" (id ${id}).`,
    };
  },
});
