import * as z from 'zod';
import { defineTool } from '../../tools/define-tool';
import { SHOWN_IN_NOTES_VIEW } from './app/view-meta';
import { NOTE_LIMITS } from './limits';
import { notebookOf } from './notebook';
import { noteSummary, noteSummaryOutput, notesIcons, pageSize, summaryLines } from './shared';

const input = z.object({
  query: z
    .string()
    .trim()
    .min(1, 'Give some words to search for.')
    .max(NOTE_LIMITS.queryLength, `A search has at most ${NOTE_LIMITS.queryLength} characters.`)
    .describe('Words to find in the title or body (case does not matter)'),
  limit: pageSize.default(20),
});

const output = z.object({
  notes: z.array(noteSummaryOutput).describe('Matching notes, most recently updated first'),
  total: z.number().int().describe('How many notes match in all'),
});

export default defineTool({
  name: 'notes_search',
  title: 'Search my notes',
  description:
    "Finds the signed-in user's notes whose title or body contains the query, most recently updated first.",
  inputSchema: input,
  outputSchema: output,
  icons: notesIcons,
  _meta: SHOWN_IN_NOTES_VIEW,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'notes:read',
  async handler({ query, limit }, { user, env }) {
    const page = await notebookOf(env, user.userId).search(query, limit);
    const notes = page.notes.map(noteSummary);
    const text =
      page.total === 0
        ? `No note contains "${query}".`
        : `${page.total} ${page.total === 1 ? 'note contains' : 'notes contain'} "${query}":\n${summaryLines(notes)}`;
    return { structured: { notes, total: page.total }, text };
  },
});
