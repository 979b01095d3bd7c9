import { DurableObject } from 'cloudflare:workers';
import { NOTE_LIMITS, noteProblem, TOO_MANY_NOTES } from './limits';

/** One note, as tools, resources and prompts return it. Times are ISO 8601. */
export interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export type CreateResult = { ok: true; note: Note } | { ok: false; problem: string };
export type UpdateResult =
  | { ok: true; note: Note }
  | { ok: false; problem: string }
  | { ok: false; missing: true };
export type DeleteResult = 'deleted' | 'not-found';

/** Notes in the order they were written, a batch at a time (notes_export). */
export interface NoteBatch {
  notes: Note[];
  /** Where the next batch starts (pass it as `after`), or `null` after the last one. */
  next: number | null;
  /** How many notes the user has now. */
  total: number;
}

export interface NotePage {
  notes: Note[];
  /** How many notes match in all (the page may hold fewer). */
  total: number;
}

type NoteRow = { id: string; title: string; body: string; created_at: number; updated_at: number };

/**
 * One user's notes: a Durable Object per user (addressed by `idFromName(userId)`), with its own
 * SQLite database, so users are isolated by construction and every write is consistent.
 *
 * Every method runs without awaiting, so each is atomic; limits are checked here as well as in
 * the tools' schemas. Storage layout: docs/storage-schema.md.
 */
export class Notebook extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS notes (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS notes_by_update ON notes (updated_at DESC);
      DROP TABLE IF EXISTS answered_confirmations;
    `);
    // answered_confirmations: the used single-use answers, kept here before v5; the user's
    // AnswerLedger (src/mcp/answer-ledger.ts) keeps them now.
  }

  create(title: string, body: string): CreateResult {
    const problem = noteProblem({ title, body });
    if (problem) return { ok: false, problem };
    return this.ctx.storage.transactionSync((): CreateResult => {
      if (this.#count() >= NOTE_LIMITS.notesPerUser) {
        return { ok: false, problem: TOO_MANY_NOTES };
      }
      const now = Date.now();
      const row: NoteRow = { id: crypto.randomUUID(), title, body, created_at: now, updated_at: now };
      this.#sql.exec(
        'INSERT INTO notes (id, title, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        row.id,
        row.title,
        row.body,
        row.created_at,
        row.updated_at,
      );
      return { ok: true, note: toNote(row) };
    });
  }

  get(id: string): Note | null {
    const row = this.#sql.exec<NoteRow>('SELECT * FROM notes WHERE id = ?', id).toArray()[0];
    return row ? toNote(row) : null;
  }

  /** The most recently updated notes first (the newest first among notes updated at the same moment). */
  list(limit: number, offset: number): NotePage {
    const rows = this.#sql
      .exec<NoteRow>(
        'SELECT * FROM notes ORDER BY updated_at DESC, rowid DESC LIMIT ? OFFSET ?',
        clampLimit(limit),
        Math.max(0, Math.floor(offset)),
      )
      .toArray();
    return { notes: rows.map(toNote), total: this.#count() };
  }

  /**
   * Up to `limit` notes in the order they were created, after position `after` (0 for the first
   * batch). Positions are the table's rowids, so a note edited meanwhile keeps its place and a
   * long read in batches sees every note that existed throughout it once.
   */
  batch(after: number, limit: number): NoteBatch {
    const rows = this.#sql
      .exec<NoteRow & { position: number }>(
        'SELECT rowid AS position, * FROM notes WHERE rowid > ? ORDER BY rowid LIMIT ?',
        Math.max(0, Math.floor(after)),
        clampLimit(limit),
      )
      .toArray();
    const last = rows.at(-1);
    return {
      notes: rows.map(toNote),
      next: last && rows.length === clampLimit(limit) ? last.position : null,
      total: this.#count(),
    };
  }

  /** Notes whose title or body contains `query`, ignoring case (ASCII letters), most recent first. */
  search(query: string, limit: number): NotePage {
    const needle = query.toLowerCase();
    const where = 'instr(lower(title), ?) > 0 OR instr(lower(body), ?) > 0';
    const rows = this.#sql
      .exec<NoteRow>(
        `SELECT * FROM notes WHERE ${where} ORDER BY updated_at DESC, rowid DESC LIMIT ?`,
        needle,
        needle,
        clampLimit(limit),
      )
      .toArray();
    const total = this.#sql
      .exec<{ total: number }>(`SELECT count(*) AS total FROM notes WHERE ${where}`, needle, needle)
      .one().total;
    return { notes: rows.map(toNote), total };
  }

  update(id: string, changes: { title?: string; body?: string }): UpdateResult {
    const problem = noteProblem(changes);
    if (problem) return { ok: false, problem };
    return this.ctx.storage.transactionSync((): UpdateResult => {
      const row = this.#sql.exec<NoteRow>('SELECT * FROM notes WHERE id = ?', id).toArray()[0];
      if (!row) return { ok: false, missing: true };
      const updated: NoteRow = {
        ...row,
        title: changes.title ?? row.title,
        body: changes.body ?? row.body,
        updated_at: Math.max(Date.now(), row.updated_at + 1),
      };
      this.#sql.exec(
        'UPDATE notes SET title = ?, body = ?, updated_at = ? WHERE id = ?',
        updated.title,
        updated.body,
        updated.updated_at,
        id,
      );
      return { ok: true, note: toNote(updated) };
    });
  }

  delete(id: string): DeleteResult {
    const deleted = this.#sql.exec('DELETE FROM notes WHERE id = ?', id).rowsWritten;
    return deleted > 0 ? 'deleted' : 'not-found';
  }

  get #sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  #count(): number {
    return this.#sql.exec<{ total: number }>('SELECT count(*) AS total FROM notes').one().total;
  }
}

/** The notebook of one user. */
export function notebookOf(env: Env, userId: string): DurableObjectStub<Notebook> {
  return env.NOTEBOOK.get(env.NOTEBOOK.idFromName(userId));
}

function clampLimit(limit: number): number {
  return Math.min(NOTE_LIMITS.pageSize, Math.max(1, Math.floor(limit)));
}

function toNote(row: NoteRow): Note {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
