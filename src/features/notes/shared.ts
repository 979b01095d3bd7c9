import * as z from 'zod';
import { type IconFile, svgIcon } from '../../mcp/icons';
import { BODY_TOO_LONG, NOTE_LIMITS, TITLE_EMPTY, TITLE_TOO_LONG } from './limits';
import type { Note } from './notebook';

/** Schemas and views shared by the notes tools, resources and prompt. */

/** The icon every notes tool shows (public/icons/notes.svg). */
export const notesIcons: readonly IconFile[] = [svgIcon('notes')];

export const noteId = z
  .string()
  .min(1)
  .max(64)
  .describe('The id of the note (from notes_create, notes_list or notes_search)');

export const noteTitle = z
  .string()
  .trim()
  .min(1, TITLE_EMPTY)
  .max(NOTE_LIMITS.titleLength, TITLE_TOO_LONG)
  .describe(`A short title, at most ${NOTE_LIMITS.titleLength} characters`);

export const noteBody = z
  .string()
  .max(NOTE_LIMITS.bodyLength, BODY_TOO_LONG)
  .describe(`The text of the note (Markdown is fine), at most ${NOTE_LIMITS.bodyLength} characters`);

export const pageSize = z
  .number()
  .int()
  .min(1)
  .max(NOTE_LIMITS.pageSize)
  .describe(`How many notes to return, 1 to ${NOTE_LIMITS.pageSize}`);

export const noteOutput = z.object({
  id: z.string(),
  uri: z.string().describe('The note as an MCP resource: notes://<id>'),
  title: z.string(),
  body: z.string(),
  createdAt: z.string().describe('ISO 8601'),
  updatedAt: z.string().describe('ISO 8601'),
});

export const noteSummaryOutput = z.object({
  id: z.string(),
  uri: z.string(),
  title: z.string(),
  excerpt: z.string().describe('The beginning of the body'),
  updatedAt: z.string(),
});

export type NoteView = z.infer<typeof noteOutput>;
export type NoteSummary = z.infer<typeof noteSummaryOutput>;

const EXCERPT_LENGTH = 160;

/** The resource URI of a note. */
export function noteUri(id: string): string {
  return `notes://${id}`;
}

export function noteView(note: Note): NoteView {
  return { ...note, uri: noteUri(note.id) };
}

export function noteSummary(note: Note): NoteSummary {
  const body = note.body.replace(/\s+/g, ' ').trim();
  const excerpt = body.length > EXCERPT_LENGTH ? `${body.slice(0, EXCERPT_LENGTH - 1)}…` : body;
  return { id: note.id, uri: noteUri(note.id), title: note.title, excerpt, updatedAt: note.updatedAt };
}

/** A note as Markdown, for clients that read text only and for resources. */
export function noteMarkdown(note: Note): string {
  return `# ${note.title}\n\n${note.body}\n\n_Note ${note.id}, updated ${note.updatedAt}._\n`;
}

/** One line per note: `- title (id): excerpt`. */
export function summaryLines(notes: NoteSummary[]): string {
  return notes
    .map((note) => `- ${note.title} (${note.id})${note.excerpt ? `: ${note.excerpt}` : ''}`)
    .join('\n');
}

/** The answer when a note does not exist for this user (another user's note does not exist either). */
export function noSuchNote(id: string): string {
  return `There is no note with id ${id}. notes_list and notes_search show the ids of your notes.`;
}
