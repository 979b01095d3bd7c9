import * as z from 'zod';
import { defineTool } from '../../tools/define-tool';
import { SHOWN_IN_NOTES_VIEW } from './app/view-meta';
import { notebookOf } from './notebook';
import { noteSummary, noteSummaryOutput, notesIcons, pageSize, summaryLines } from './shared';

const input = z.object({
  limit: pageSize.default(20),
  offset: z.number().int().min(0).default(0).describe('How many notes to skip, for the next page'),
});

const output = z.object({
  notes: z.array(noteSummaryOutput).describe('Most recently updated first'),
  total: z.number().int().describe('How many notes the user has'),
  offset: z.number().int(),
});

export default defineTool({
  name: 'notes_list',
  title: 'List my notes',
  description:
    "Lists the signed-in user's notes, most recently updated first: id, title and the beginning of each. Use notes_get for a whole note.",
  inputSchema: input,
  outputSchema: output,
  icons: notesIcons,
  _meta: SHOWN_IN_NOTES_VIEW,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'notes:read',
  async handler({ limit, offset }, { user, env }) {
    const page = await notebookOf(env, user.userId).list(limit, offset);
    const notes = page.notes.map(noteSummary);
    let text = `Notes ${offset + 1} to ${offset + notes.length} of ${page.total}:\n${summaryLines(notes)}`;
    if (page.total === 0) text = 'You have no notes yet.';
    else if (notes.length === 0) text = `You have ${page.total} notes, none after the first ${offset}.`;
    return { structured: { notes, total: page.total, offset }, text };
  },
});
