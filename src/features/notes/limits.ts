/**
 * The limits of a user's notes, enforced twice: by the tools' input schemas (so clients see them
 * as `maxLength`) and by the notebook itself (so no path around the schemas can exceed them).
 */
export const NOTE_LIMITS = {
  /** Characters in a title. */
  titleLength: 200,
  /** Characters in a body. */
  bodyLength: 10_000,
  /** Notes one user can keep. */
  notesPerUser: 500,
  /** Characters in a search query. */
  queryLength: 200,
  /** Notes in one page of a list or search. */
  pageSize: 100,
} as const;

export const TITLE_TOO_LONG = `A note's title has at most ${NOTE_LIMITS.titleLength} characters.`;
export const BODY_TOO_LONG = `A note's body has at most ${NOTE_LIMITS.bodyLength} characters.`;
export const TITLE_EMPTY = 'A note needs a title.';
export const TOO_MANY_NOTES = `You have ${NOTE_LIMITS.notesPerUser} notes, the most one person can keep. Delete one to make room.`;

/** Why a title or body cannot be stored, in words for the model, or `null` when it can. */
export function noteProblem(fields: { title?: string; body?: string }): string | null {
  if (fields.title !== undefined) {
    if (fields.title.trim() === '') return TITLE_EMPTY;
    if (fields.title.length > NOTE_LIMITS.titleLength) return TITLE_TOO_LONG;
  }
  if (fields.body !== undefined && fields.body.length > NOTE_LIMITS.bodyLength) return BODY_TOO_LONG;
  return null;
}
