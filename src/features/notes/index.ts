import type { Feature } from '../../mcp/feature';
import notesAccess from './app/notes-access';
import { registerNotesView } from './app/view-resource';
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
 * seven tools (`notes_export` runs as a task), every note as a `notes://{id}` resource, the
 * `summarize_notes` prompt, and the notes as an MCP App (./app/: the `ui://` view, which
 * `notes_list`, `notes_search` and `notes_get` open, and `notes_access`, the one tool only the view
 * calls). Scopes `notes:read` and `notes:write`.
 */
export const notes: Feature = {
  name: 'notes',
  tools: [notesCreate, notesList, notesGet, notesSearch, notesUpdate, notesDelete, notesExport, notesAccess],
  resources: [registerNoteResources, registerNotesView],
  prompts: [registerNotePrompts],
};

/** The feature's Durable Object: src/index.ts exports it, wrangler.jsonc binds it (NOTEBOOK). */
export { Notebook } from './notebook';
