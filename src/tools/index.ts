import add from './add';
import type { ToolDefinition } from './define-tool';
import notesCreate from './notes-create';
import notesDelete from './notes-delete';
import notesExport from './notes-export';
import notesGet from './notes-get';
import notesList from './notes-list';
import notesSearch from './notes-search';
import notesUpdate from './notes-update';
import whoami from './whoami';

/** Every tool this server offers. The one list: add a tool by adding its file here. */
export const tools: readonly ToolDefinition[] = [
  add,
  whoami,
  notesCreate,
  notesList,
  notesGet,
  notesSearch,
  notesUpdate,
  notesDelete,
  notesExport,
] as readonly ToolDefinition[];
