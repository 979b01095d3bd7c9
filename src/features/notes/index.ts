import type { Feature } from '../../mcp/feature';
import notesCreate from './notes-create';
import notesDelete from './notes-delete';
import notesExport from './notes-export';
import notesGet from './notes-get';
import notesList from './notes-list';
import notesSearch from './notes-search';
import notesUpdate from './notes-update';
import { registerNoteResources } from './resources';
import { registerNotePrompts } from './summarize-notes';

/**
 * The notes example: each user's notes in their own Durable Object (`Notebook`, ./notebook.ts),
 * seven tools (`notes_export` runs as a task), every note as a `notes://{id}` resource, and the
 * `summarize_notes` prompt. Scopes `notes:read` and `notes:write`.
 */
export const notes: Feature = {
  name: 'notes',
  tools: [notesCreate, notesList, notesGet, notesSearch, notesUpdate, notesDelete, notesExport],
  resources: [registerNoteResources],
  prompts: [registerNotePrompts],
};

/** The feature's Durable Object: src/index.ts exports it, wrangler.jsonc binds it (NOTEBOOK). */
export { Notebook } from './notebook';
