import * as z from 'zod';
import { defineTool, ToolError } from '../../tools/define-tool';
import { SHOWN_IN_NOTES_VIEW } from './app/view-meta';
import { notebookOf } from './notebook';
import { noSuchNote, noteId, noteMarkdown, noteOutput, notesIcons, noteView } from './shared';

const input = z.object({ id: noteId });

const output = z.object({ note: noteOutput });

export default defineTool({
  name: 'notes_get',
  title: 'Read a note',
  description: 'Returns one of the signed-in user’s notes, whole, by its id.',
  inputSchema: input,
  outputSchema: output,
  icons: notesIcons,
  _meta: SHOWN_IN_NOTES_VIEW,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'notes:read',
  async handler({ id }, { user, env }) {
    const note = await notebookOf(env, user.userId).get(id);
    if (!note) throw new ToolError(noSuchNote(id));
    return { structured: { note: noteView(note) }, text: noteMarkdown(note) };
  },
});
