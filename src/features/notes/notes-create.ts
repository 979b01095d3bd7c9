import * as z from 'zod';
import { defineTool, ToolError } from '../../tools/define-tool';
import { notebookOf } from './notebook';
import { noteBody, noteOutput, notesIcons, noteTitle, noteView } from './shared';

const input = z.object({ title: noteTitle, body: noteBody.default('') });

const output = z.object({ note: noteOutput });

export default defineTool({
  name: 'notes_create',
  title: 'Create a note',
  description:
    'Saves a new personal note (a title and a Markdown body) for the signed-in user and returns it with its id. Only this user can see it.',
  inputSchema: input,
  outputSchema: output,
  icons: notesIcons,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: 'notes:write',
  async handler({ title, body }, { user, env }) {
    const created = await notebookOf(env, user.userId).create(title, body);
    if (!created.ok) throw new ToolError(created.problem);
    return {
      structured: { note: noteView(created.note) },
      text: `Created the note "${created.note.title}" (id ${created.note.id}).`,
    };
  },
});
