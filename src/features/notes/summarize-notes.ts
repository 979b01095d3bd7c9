import {
  type GetPromptResult,
  type McpServer,
  type PromptMessage,
  ProtocolError,
  ProtocolErrorCode,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import { allows } from '../../auth/scopes';
import type { ServerBuild } from '../../mcp/feature';
import { scopeChallenge } from '../../mcp/scope-challenge';
import { NOTE_LIMITS } from './limits';
import { notebookOf } from './notebook';
import { noteMarkdown, noteUri } from './shared';

/** Notes a summary prompt embeds at most. */
export const SUMMARY_NOTE_LIMIT = 20;

const args = z.object({
  query: z
    .string()
    .max(NOTE_LIMITS.queryLength)
    .optional()
    .describe('Only notes containing these words (all notes when empty)'),
});

/**
 * `summarize_notes`: a prompt that hands the model the user's notes matching a query (or the most
 * recent ones), each as an embedded `notes://` resource, and asks for a summary. Needs `notes:read`.
 */
export function registerNotePrompts(server: McpServer, { caller }: ServerBuild): void {
  server.registerPrompt(
    'summarize_notes',
    {
      title: 'Summarize my notes',
      description: `Summarizes your notes that contain some words, or your ${SUMMARY_NOTE_LIMIT} most recent notes.`,
      argsSchema: args,
      scopeChallenge: scopeChallenge('notes:read', 'Summarizing notes'),
    },
    async ({ query }): Promise<GetPromptResult> => {
      if (!allows(caller.scopes, 'notes:read')) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          'Summarizing notes needs the notes:read scope.',
        );
      }
      const notebook = notebookOf(caller.env, caller.user.userId);
      const words = query?.trim() ?? '';
      const page = words
        ? await notebook.search(words, SUMMARY_NOTE_LIMIT)
        : await notebook.list(SUMMARY_NOTE_LIMIT, 0);
      const which = words ? `my notes that contain "${words}"` : 'my most recent notes';
      if (page.notes.length === 0) {
        return {
          description: `No notes to summarize`,
          messages: [
            {
              role: 'user',
              content: {
                type: 'text',
                text: `I wanted a summary of ${which}, but there are none. Tell me so.`,
              },
            },
          ],
        };
      }
      const shown =
        page.total > page.notes.length ? ` (the ${page.notes.length} most recent of ${page.total})` : '';
      const messages: PromptMessage[] = [
        {
          role: 'user',
          content: { type: 'text', text: `Here are ${which}${shown}, one per resource.` },
        },
        ...page.notes.map(
          (note): PromptMessage => ({
            role: 'user',
            content: {
              type: 'resource',
              resource: { uri: noteUri(note.id), mimeType: 'text/markdown', text: noteMarkdown(note) },
            },
          }),
        ),
        {
          role: 'user',
          content: {
            type: 'text',
            text: 'Summarize these notes in a few short paragraphs: the main topics, decisions and open questions. Mention a note by its title when you rely on it.',
          },
        },
      ];
      return { description: `A summary of ${which}`, messages };
    },
  );
}
