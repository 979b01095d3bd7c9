import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  ResourceNotFoundError,
  ResourceTemplate,
} from '@modelcontextprotocol/server';
import { allows } from '../../auth/scopes';
import type { ServerBuild } from '../../mcp/feature';
import { scopeChallenge } from '../../mcp/scope-challenge';
import { NOTE_LIMITS } from './limits';
import { notebookOf } from './notebook';
import { noteMarkdown, noteSummary } from './shared';

/** The URI template of a note: `notes://<id>`. */
export const NOTE_URI_TEMPLATE = 'notes://{id}';

/**
 * Each of the user's notes as a resource (`notes://{id}`, Markdown): listed by `resources/list`
 * (the most recently updated {@link NOTE_LIMITS.pageSize}) and read with `resources/read`.
 * Reading needs `notes:read` (step-up 403 otherwise); listing without it lists nothing. The
 * answers depend on the user and change with every write: cache hints say `private`, `ttlMs: 0`.
 */
export function registerNoteResources(server: McpServer, { caller }: ServerBuild): void {
  const notebook = () => notebookOf(caller.env, caller.user.userId);
  server.registerResource(
    'note',
    new ResourceTemplate(NOTE_URI_TEMPLATE, {
      async list() {
        if (!allows(caller.scopes, 'notes:read')) return { resources: [] };
        const page = await notebook().list(NOTE_LIMITS.pageSize, 0);
        return {
          resources: page.notes.map((note) => {
            const summary = noteSummary(note);
            return {
              uri: summary.uri,
              name: note.title,
              title: note.title,
              description: summary.excerpt,
              mimeType: 'text/markdown',
            };
          }),
        };
      },
    }),
    {
      title: 'Note',
      description: 'One of your notes, as Markdown.',
      mimeType: 'text/markdown',
      scopeChallenge: scopeChallenge('notes:read', 'Reading a note'),
      cacheHint: { ttlMs: 0, cacheScope: 'private' },
    },
    async (uri, variables): Promise<ReadResourceResult> => {
      if (!allows(caller.scopes, 'notes:read')) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          'Reading a note needs the notes:read scope.',
        );
      }
      const id = String(variables.id ?? '');
      const note = id === '' ? null : await notebook().get(id);
      if (!note) throw new ResourceNotFoundError(uri.href, `There is no note at ${uri.href}.`);
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: noteMarkdown(note) }] };
    },
  );
}
