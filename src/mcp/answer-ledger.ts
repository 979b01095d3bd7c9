import { DurableObject } from 'cloudflare:workers';

/**
 * How long a used single-use answer is remembered: longer than its request state lives
 * (REQUEST_STATE_TTL_SECONDS in ./request-state.ts), after which the state is refused anyway.
 */
export const ANSWER_MEMORY_MS = 15 * 60 * 1000;

/**
 * One user's used single-use answers (confirmations, src/mcp/asking.ts): a Durable Object per
 * user (addressed by `idFromName(userId)`), so a request state whose answer was used is refused
 * ever after (src/mcp/request-state.ts), even when the same state is sent twice at once. It keeps
 * nonces only, in SQLite; its alarm drops each after {@link ANSWER_MEMORY_MS}, so a ledger holds
 * at most the answers of the last quarter of an hour. Generic: it knows no tool or feature.
 * Storage layout: docs/storage-schema.md.
 */
export class AnswerLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS used_answers (
        nonce TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
    `);
  }

  /** Records that a single-use answer was used; `false` if it already was (a replay or a race). */
  async use(nonce: string): Promise<boolean> {
    const now = Date.now();
    const recorded = this.ctx.storage.transactionSync(() => {
      if (this.#isUsed(nonce, now)) return false;
      this.#sql.exec(
        'INSERT OR REPLACE INTO used_answers (nonce, expires_at) VALUES (?, ?)',
        nonce,
        now + ANSWER_MEMORY_MS,
      );
      return true;
    });
    if (recorded && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(now + ANSWER_MEMORY_MS);
    }
    return recorded;
  }

  /** Whether a single-use answer was used already (its request state must not be used again). */
  isUsed(nonce: string): boolean {
    return this.#isUsed(nonce, Date.now());
  }

  /** Drops what has expired, and wakes again at the next expiry (no alarm when nothing is left). */
  override async alarm(): Promise<void> {
    this.#sql.exec('DELETE FROM used_answers WHERE expires_at <= ?', Date.now());
    const next = this.#sql
      .exec<{ next: number | null }>('SELECT min(expires_at) AS next FROM used_answers')
      .one().next;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  get #sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  #isUsed(nonce: string, now: number): boolean {
    return (
      this.#sql.exec('SELECT 1 FROM used_answers WHERE nonce = ? AND expires_at > ?', nonce, now).toArray()
        .length > 0
    );
  }
}

/** The answer ledger of one user. */
export function answerLedgerOf(env: Env, userId: string): DurableObjectStub<AnswerLedger> {
  return env.ANSWER_LEDGER.get(env.ANSWER_LEDGER.idFromName(userId));
}
