import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ANSWER_MEMORY_MS, answerLedgerOf } from '../src/mcp/answer-ledger';

/** A ledger of its own for each test: one per user. */
function ledger() {
  return answerLedgerOf(env, `demo:ledger-${crypto.randomUUID()}@example.com`);
}

describe('the answer ledger (used single-use answers, one Durable Object per user)', () => {
  it('an answer is used once: the second use is refused, and it reads as used', async () => {
    const answers = ledger();
    expect(await answers.isUsed('nonce-1')).toBe(false);
    expect(await answers.use('nonce-1')).toBe(true);
    expect(await answers.use('nonce-1')).toBe(false);
    expect(await answers.isUsed('nonce-1')).toBe(true);
    expect(await answers.isUsed('nonce-2')).toBe(false);
  });

  it("users' ledgers are apart: one user's used answer is not another's", async () => {
    const [mine, theirs] = [ledger(), ledger()];
    expect(await mine.use('shared-nonce')).toBe(true);
    expect(await theirs.isUsed('shared-nonce')).toBe(false);
    expect(await theirs.use('shared-nonce')).toBe(true);
  });

  it('a used answer is remembered for ANSWER_MEMORY_MS: the alarm is set then, and drops it', async () => {
    const answers = ledger();
    const before = Date.now();
    expect(await answers.use('kept')).toBe(true);
    await runInDurableObject(answers, async (_instance, state) => {
      const alarm = await state.storage.getAlarm();
      expect(alarm).toBeGreaterThanOrEqual(before + ANSWER_MEMORY_MS);
      expect(alarm).toBeLessThanOrEqual(Date.now() + ANSWER_MEMORY_MS);
    });
    // Its alarm before its time keeps it.
    expect(await runDurableObjectAlarm(answers)).toBe(true);
    expect(await answers.isUsed('kept')).toBe(true);
    // Once its time is over, it is no longer there, and no alarm is left.
    await runInDurableObject(answers, (_instance, state) => {
      state.storage.sql.exec(
        'UPDATE used_answers SET expires_at = ? WHERE nonce = ?',
        Date.now() - 1,
        'kept',
      );
    });
    expect(await runDurableObjectAlarm(answers)).toBe(true);
    await runInDurableObject(answers, async (_instance, state) => {
      expect(state.storage.sql.exec('SELECT count(*) AS n FROM used_answers').one().n).toBe(0);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it('an expired entry is not used any more, even before its alarm', async () => {
    const answers = ledger();
    expect(await answers.use('old')).toBe(true);
    await runInDurableObject(answers, (_instance, state) => {
      state.storage.sql.exec('UPDATE used_answers SET expires_at = ? WHERE nonce = ?', Date.now() - 1, 'old');
    });
    expect(await answers.isUsed('old')).toBe(false);
  });

  it('the alarm keeps a later answer and wakes again for it', async () => {
    const answers = ledger();
    expect(await answers.use('first')).toBe(true);
    expect(await answers.use('second')).toBe(true);
    const later = Date.now() + ANSWER_MEMORY_MS + 60_000;
    await runInDurableObject(answers, (_instance, state) => {
      state.storage.sql.exec(
        'UPDATE used_answers SET expires_at = ? WHERE nonce = ?',
        Date.now() - 1,
        'first',
      );
      state.storage.sql.exec('UPDATE used_answers SET expires_at = ? WHERE nonce = ?', later, 'second');
    });
    expect(await runDurableObjectAlarm(answers)).toBe(true);
    expect(await answers.isUsed('first')).toBe(false);
    expect(await answers.isUsed('second')).toBe(true);
    await runInDurableObject(answers, async (_instance, state) => {
      expect(await state.storage.getAlarm()).toBe(later);
    });
  });
});
