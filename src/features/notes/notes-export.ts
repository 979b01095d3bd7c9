import * as z from 'zod';
import { defineTool } from '../../tools/define-tool';
import { type Note, notebookOf } from './notebook';

/** Notes read from the notebook at a time: the progress steps of an export. */
export const EXPORT_BATCH = 50;

const output = z.object({
  notes: z.number().int().describe('How many notes the document holds'),
  characters: z.number().int().describe('The length of the Markdown document (the text result)'),
  exportedAt: z.string().describe('ISO 8601'),
});

export default defineTool({
  name: 'notes_export',
  title: 'Export my notes',
  description:
    "Exports all of the signed-in user's notes as one Markdown document, oldest first, each with its title, text, id and dates; the document is the text result. Apps that support MCP tasks get a task at once and the document when it is ready, with progress meanwhile.",
  inputSchema: z.object({}),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'notes:read',
  task: 'optional',
  async handler(_input, { user, env, progress }) {
    const notebook = notebookOf(env, user.userId);
    const sections: string[] = [];
    let after = 0;
    for (;;) {
      const batch = await notebook.batch(after, EXPORT_BATCH);
      sections.push(...batch.notes.map(section));
      await progress({
        done: sections.length,
        total: Math.max(batch.total, sections.length),
        message: `Exported ${sections.length} of ${Math.max(batch.total, sections.length)} notes.`,
      });
      if (batch.next === null) break;
      after = batch.next;
    }
    const exportedAt = new Date().toISOString();
    const heading = user.name ? `# Notes of ${user.name}` : '# Notes';
    const summary =
      sections.length === 0
        ? `No notes yet (exported ${exportedAt}).`
        : `${sections.length} ${sections.length === 1 ? 'note' : 'notes'}, oldest first, exported ${exportedAt}.`;
    const text = [heading, summary, ...sections].join('\n\n');
    return { structured: { notes: sections.length, characters: text.length, exportedAt }, text };
  },
});

/** One note of the document: a second-level heading, the body, then its id and dates. */
function section(note: Note): string {
  const body = note.body.trim() === '' ? '_(empty)_' : note.body.trimEnd();
  return `## ${note.title}\n\n${body}\n\n_Note ${note.id}, created ${note.createdAt}, updated ${note.updatedAt}._`;
}
