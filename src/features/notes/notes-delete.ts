import * as z from 'zod';
import { defineTool, ToolError } from '../../tools/define-tool';
import { notebookOf } from './notebook';
import { noSuchNote, noteId, notesIcons } from './shared';

const input = z.object({
  id: noteId,
  confirm: z
    .boolean()
    .optional()
    .describe(
      'Only for apps that cannot ask the user themselves (MCP before 2026-07-28, or no elicitation): true once the user has said yes to deleting this note. Apps that can ask get a confirmation question instead, and this is ignored.',
    ),
});

const output = z.object({
  id: z.string(),
  title: z.string(),
  deleted: z.boolean().describe('false when the user said no: the note is kept'),
});

export default defineTool({
  name: 'notes_delete',
  title: 'Delete a note',
  description:
    'Deletes one of the signed-in user’s notes for good, after the user confirms: the app shows them a yes/no question. Apps that cannot ask (MCP before 2026-07-28) must ask the user themselves and pass confirm: true.',
  inputSchema: input,
  outputSchema: output,
  icons: notesIcons,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'notes:write',
  async handler({ id, confirm: confirmed }, { user, env, confirm }) {
    const notebook = notebookOf(env, user.userId);
    const note = await notebook.get(id);
    if (!note) throw new ToolError(noSuchNote(id));
    const { title } = note;
    // Asks the user (the round ends here until they answer); the answer is spent once used.
    const confirmation = await confirm({ message: `Delete the note "${title}"? This cannot be undone.` });
    if (confirmation.status === 'declined') {
      return {
        structured: { id, title, deleted: false },
        text: `Kept the note "${title}": the user did not confirm the deletion.`,
      };
    }
    if (confirmation.status === 'unavailable' && confirmed !== true) {
      throw new ToolError(
        `Deleting a note cannot be undone, and this app cannot show the user a confirmation. Ask the user whether to delete the note "${title}" (id ${id}); only if they say yes, call notes_delete again with confirm: true.`,
      );
    }
    const result = await notebook.delete(id);
    if (result === 'not-found') throw new ToolError(noSuchNote(id));
    return { structured: { id, title, deleted: true }, text: `Deleted the note "${title}".` };
  },
});
