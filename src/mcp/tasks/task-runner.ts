import { DurableObject } from 'cloudflare:workers';
import {
  type CallToolResult,
  type InputRequest,
  type InputRequests,
  type InputResponse,
  ProtocolError,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import { allows, type Scope } from '../../auth/scopes';
import { log } from '../../lib/log';
import { ToolError } from '../../tools/define-tool';
import { canElicitForm, type TaskCaller, type TaskContext, TaskInputUnavailable, taskJobNamed } from './jobs';
import { RUN_LIMIT_MS, TASK_LIMITS } from './limits';
import type { DetailedTask, TaskError, TaskInfo, TaskStatus } from './protocol';

/** Characters per row of a stored result or parameters (a SQLite row holds at most 2 MB of UTF-8). */
const PART_CHARS = 500_000;

/** What a request asks the user's runner to start. */
export interface NewTask {
  /** The job's name (the tool's). */
  job: string;
  /** The scope the tool needs: a caller without it cannot read the task. */
  scope: Scope;
  /** The job's parameters (the tool's validated arguments): JSON. */
  params: unknown;
  caller: TaskCaller;
  ttlMs: number;
  pollIntervalMs: number;
}

/** Who asks about a task: it is visible to the app that created it, with the tool's scope. */
export interface TaskAccess {
  clientId: string;
  scopes: Scope[];
}

export type CreateOutcome = { ok: true; task: TaskInfo } | { ok: false; problem: string };
export type UpdateOutcome = 'accepted' | 'not-found' | { invalid: string };

type TaskRow = {
  id: string;
  client_id: string;
  job: string;
  scope: Scope;
  params: string;
  caller: string;
  status: TaskStatus;
  status_message: string | null;
  input_requests: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  ttl_ms: number;
  poll_interval_ms: number;
  expires_at: number;
  run_at: number | null;
  running_since: number | null;
};

/** How one run of a job ended. */
type Outcome =
  | { kind: 'done'; result: CallToolResult }
  | { kind: 'failed'; error: TaskError }
  | { kind: 'suspended' }
  | { kind: 'stopped' }
  | { kind: 'overran' };

/** One run of a task's work in this object: what it asked, when it wants to wake, how it ends. */
class TaskRun {
  readonly controller = new AbortController();
  readonly asked: InputRequests = {};
  wakeAt: number | undefined;
  closed = false;
  readonly interrupted: Promise<Outcome>;
  #interrupt!: (outcome: Outcome) => void;
  #suspending = false;

  constructor() {
    this.interrupted = new Promise((resolve) => {
      this.#interrupt = resolve;
    });
  }

  /** The work waits: after this turn (so questions asked together go out together), the run ends. */
  suspend(): void {
    if (this.#suspending) return;
    this.#suspending = true;
    setTimeout(() => this.#interrupt({ kind: 'suspended' }), 0);
  }

  /** The task was cancelled or expired: abort what the work does and end the run now. */
  stop(): void {
    this.controller.abort(new Error('The task was cancelled or has expired.'));
    this.#interrupt({ kind: 'stopped' });
  }

  overran(): void {
    this.controller.abort(new Error('The task ran too long.'));
    this.#interrupt({ kind: 'overran' });
  }
}

/** A promise that never settles: the run it belongs to has ended, and its work is dropped. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/**
 * One user's MCP tasks (the tasks extension, SEP-2663): a Durable Object per user
 * (`idFromName(userId)`), so a task is strongly consistent (visible to the very next `tasks/get`)
 * and isolated by construction; a task id of another user is simply not here.
 *
 * The work runs here, not in the request that created it (a request cannot outlive its response):
 * creating a task stores it and sets the alarm; the alarm runs every task that is due, until it
 * completes or waits (for an answer: `input_required`; for time: `run_at`). Everything is in
 * SQLite, so a restart loses at most the run in progress, which is made due again (when the object
 * starts, at its next alarm, or at the next `tasks/get`). Each task is deleted, result and all, at
 * its TTL. Layout: docs/storage-schema.md.
 */
export class TaskRunner extends DurableObject<Env> {
  /** Runs in progress in this instance (a fresh instance has none). */
  readonly #running = new Map<string, TaskRun>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS tasks (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        job TEXT NOT NULL,
        scope TEXT NOT NULL,
        params TEXT NOT NULL,
        caller TEXT NOT NULL,
        status TEXT NOT NULL,
        status_message TEXT,
        input_requests TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        ttl_ms INTEGER NOT NULL,
        poll_interval_ms INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        run_at INTEGER,
        running_since INTEGER
      );
      CREATE INDEX IF NOT EXISTS tasks_by_expiry ON tasks (expires_at);
      CREATE TABLE IF NOT EXISTS task_results (
        task_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (task_id, part)
      );
      CREATE TABLE IF NOT EXISTS task_journal (
        task_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (task_id, kind, key)
      );
    `);
    // A run that was in progress when the object last stopped (a restart, a deploy, an eviction)
    // did not finish: it is due again, from the beginning (see TaskContext).
    void ctx.blockConcurrencyWhile(async () => {
      this.#resumeInterrupted();
      await this.#schedule();
    });
  }

  /** Stores a new task (working, due now) and returns it; it is visible as soon as this returns. */
  async create(task: NewTask): Promise<CreateOutcome> {
    const now = Date.now();
    this.#expire(now);
    const counts = this.#sql
      .exec<{ stored: number; inProgress: number }>(
        "SELECT count(*) AS stored, count(CASE WHEN status IN ('working', 'input_required') THEN 1 END) AS inProgress FROM tasks",
      )
      .one();
    if (counts.inProgress >= TASK_LIMITS.inProgress) {
      return {
        ok: false,
        problem: `You have ${counts.inProgress} tasks in progress, the most at once. Wait for one to finish, or cancel one.`,
      };
    }
    if (counts.stored >= TASK_LIMITS.stored) {
      return {
        ok: false,
        problem: `You have ${counts.stored} recent tasks, the most kept at once. Try again once older ones have expired.`,
      };
    }
    const params = JSON.stringify(task.params ?? {});
    if (params.length > PART_CHARS)
      return { ok: false, problem: 'These arguments are too large to run as a task.' };
    const row: TaskRow = {
      id: crypto.randomUUID(),
      client_id: task.caller.clientId,
      job: task.job,
      scope: task.scope,
      params,
      caller: JSON.stringify(task.caller),
      status: 'working',
      status_message: null,
      input_requests: null,
      error: null,
      created_at: now,
      updated_at: now,
      ttl_ms: task.ttlMs,
      poll_interval_ms: task.pollIntervalMs,
      expires_at: now + task.ttlMs,
      run_at: now,
      running_since: null,
    };
    this.#sql.exec(
      `INSERT INTO tasks (id, client_id, job, scope, params, caller, status, created_at, updated_at, ttl_ms,
         poll_interval_ms, expires_at, run_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.id,
      row.client_id,
      row.job,
      row.scope,
      row.params,
      row.caller,
      row.status,
      row.created_at,
      row.updated_at,
      row.ttl_ms,
      row.poll_interval_ms,
      row.expires_at,
      row.run_at,
    );
    await this.#schedule();
    return { ok: true, task: infoOf(row) };
  }

  /** The task as `tasks/get` answers it, or `null` when this caller has no such task. */
  async get(id: string, access: TaskAccess): Promise<DetailedTask | null> {
    const row = this.#visible(id, access);
    if (!row) return null;
    // Due, or marked running, but not running here (an alarm that never came, a run cut short):
    // run it now.
    const stalled = row.run_at !== null && (row.run_at <= Date.now() || row.running_since !== null);
    if (row.status === 'working' && stalled && !this.#running.has(id)) {
      this.#resumeInterrupted();
      await this.#schedule();
    }
    return this.#detailed(row);
  }

  /**
   * Delivers answers to a task waiting for input. Answers to keys not outstanding are ignored, as
   * the spec asks; an answer of the wrong shape for its request (or `malformed`: the keys of
   * answers that were not bare results) refuses the whole update. Once no question is left, the
   * task works again (its job runs again, and `ask` returns the answers).
   */
  async update(
    id: string,
    access: TaskAccess,
    responses: Record<string, unknown>,
    malformed: string[] = [],
  ): Promise<UpdateOutcome> {
    const row = this.#visible(id, access);
    if (!row) return 'not-found';
    if (row.status !== 'input_required') return 'accepted';
    const outstanding = JSON.parse(row.input_requests ?? '{}') as InputRequests;
    const wrong = malformed.find((key) => Object.hasOwn(outstanding, key));
    if (wrong !== undefined)
      return { invalid: `The answer to "${wrong}" must be the bare result, not a message.` };
    const answers: Array<[string, unknown]> = [];
    for (const [key, response] of Object.entries(responses)) {
      const request = Object.hasOwn(outstanding, key) ? outstanding[key] : undefined;
      if (!request) continue;
      if (!answerSchemaFor(request).safeParse(response).success) {
        return { invalid: `The answer to "${key}" is not a valid ${request.method} result.` };
      }
      answers.push([key, response]);
    }
    if (answers.length === 0) return 'accepted';
    const now = Date.now();
    const resumed = this.ctx.storage.transactionSync(() => {
      for (const [key, response] of answers) {
        this.#sql.exec(
          "INSERT OR REPLACE INTO task_journal (task_id, kind, key, value) VALUES (?, 'answer', ?, ?)",
          id,
          key,
          JSON.stringify(response),
        );
        delete outstanding[key];
      }
      if (Object.keys(outstanding).length > 0) {
        this.#sql.exec(
          'UPDATE tasks SET input_requests = ?, updated_at = ? WHERE id = ?',
          JSON.stringify(outstanding),
          now,
          id,
        );
        return false;
      }
      this.#sql.exec(
        "UPDATE tasks SET status = 'working', status_message = NULL, input_requests = NULL, run_at = ?, updated_at = ? WHERE id = ?",
        now,
        now,
        id,
      );
      return true;
    });
    if (resumed) await this.#schedule();
    return 'accepted';
  }

  /**
   * Cancels a task that is not finished (its work is aborted and dropped); a finished one is left
   * as it is. `false` when this caller has no such task.
   */
  async cancel(id: string, access: TaskAccess): Promise<boolean> {
    const row = this.#visible(id, access);
    if (!row) return false;
    if (row.status !== 'working' && row.status !== 'input_required') return true;
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec(
        `UPDATE tasks SET status = 'cancelled', status_message = 'Cancelled at the request of the client.',
           input_requests = NULL, run_at = NULL, running_since = NULL, updated_at = ? WHERE id = ?`,
        Date.now(),
        id,
      );
      this.#sql.exec('DELETE FROM task_journal WHERE task_id = ?', id);
    });
    this.#running.get(id)?.stop();
    await this.#schedule();
    return true;
  }

  /** Deletes the tasks past their TTL and runs the tasks that are due, then sets the next alarm. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#expire(now);
    this.#resumeInterrupted();
    const due = this.#sql
      .exec<{ id: string }>(
        "SELECT id FROM tasks WHERE status = 'working' AND run_at IS NOT NULL AND run_at <= ? ORDER BY run_at",
        now,
      )
      .toArray();
    await Promise.all(due.map(({ id }) => this.#run(id)));
    await this.#schedule();
  }

  /**
   * Makes due again every run marked in progress that this instance is not running: one cut short
   * when the object stopped (a restart, a deploy, an eviction) runs again from the beginning.
   */
  #resumeInterrupted(): void {
    const now = Date.now();
    let resumed = 0;
    for (const { id } of this.#sql
      .exec<{ id: string }>("SELECT id FROM tasks WHERE running_since IS NOT NULL AND status = 'working'")
      .toArray()) {
      if (this.#running.has(id)) continue;
      this.#sql.exec('UPDATE tasks SET run_at = ?, running_since = NULL WHERE id = ?', now, id);
      resumed += 1;
    }
    if (resumed > 0) log('info', 'tasks_resumed', { count: resumed });
  }

  /** Runs a task's job once: until it completes, fails, waits, or is cancelled or expires. */
  async #run(id: string): Promise<void> {
    const row = this.#row(id);
    if (row?.status !== 'working' || this.#running.has(id)) return;
    const job = taskJobNamed(row.job);
    const run = new TaskRun();
    let outcome: Outcome;
    if (!job) {
      outcome = {
        kind: 'failed',
        error: { code: -32603, message: `The tool ${row.job} is no longer available.` },
      };
    } else {
      const started = Date.now();
      // Until the run ends, the task is marked running and not due: if this instance dies, the
      // next one makes it due again (#resumeInterrupted), at the latest when this lease ends.
      this.#sql.exec(
        'UPDATE tasks SET run_at = ?, running_since = ? WHERE id = ?',
        started + RUN_LIMIT_MS,
        started,
        id,
      );
      this.#running.set(id, run);
      const limit = setTimeout(() => run.overran(), RUN_LIMIT_MS);
      try {
        outcome = await Promise.race([
          Promise.resolve()
            .then(() => job.run(JSON.parse(row.params), this.#contextFor(row, run)))
            .then((result): Outcome => ({ kind: 'done', result })),
          run.interrupted,
        ]);
      } catch (error) {
        outcome = outcomeOfError(row.job, error);
      } finally {
        clearTimeout(limit);
        run.closed = true;
        this.#running.delete(id);
      }
    }
    try {
      this.#settle(id, run, outcome);
    } catch (error) {
      // A result too large for a row, say: the task must still end.
      log('error', 'task_settle_failed', { job: row.job, error: String(error) });
      this.#settle(id, run, {
        kind: 'failed',
        error: { code: -32603, message: 'The result could not be stored.' },
      });
    }
  }

  /** Records how a run ended, unless the task was cancelled or expired meanwhile. */
  #settle(id: string, run: TaskRun, outcome: Outcome): void {
    this.ctx.storage.transactionSync(() => {
      const row = this.#row(id);
      if (row?.status !== 'working') return;
      const now = Date.now();
      switch (outcome.kind) {
        case 'done':
          this.#storeResult(id, outcome.result);
          this.#end(id, 'completed', null, null, now);
          return;
        case 'failed':
          log('warn', 'task_failed', { job: row.job, code: outcome.error.code });
          this.#end(id, 'failed', outcome.error.message, JSON.stringify(outcome.error), now);
          return;
        case 'overran': {
          const message = `The task ran longer than ${RUN_LIMIT_MS / 60_000} minutes at once and was stopped.`;
          this.#end(id, 'failed', message, JSON.stringify({ code: -32603, message }), now);
          return;
        }
        case 'stopped':
          return;
        case 'suspended':
          if (Object.keys(run.asked).length > 0) {
            this.#sql.exec(
              `UPDATE tasks SET status = 'input_required', status_message = 'Waiting for an answer from the client.',
                 input_requests = ?, run_at = NULL, running_since = NULL, updated_at = ? WHERE id = ?`,
              JSON.stringify(run.asked),
              now,
              id,
            );
          } else {
            this.#sql.exec(
              'UPDATE tasks SET run_at = ?, running_since = NULL, updated_at = ? WHERE id = ?',
              run.wakeAt ?? now,
              now,
              id,
            );
          }
          return;
      }
    });
  }

  /** Ends a task: a terminal status, no more runs, its journal gone. */
  #end(id: string, status: TaskStatus, message: string | null, error: string | null, now: number): void {
    this.#sql.exec(
      `UPDATE tasks SET status = ?, status_message = coalesce(?, status_message), error = ?, input_requests = NULL,
         run_at = NULL, running_since = NULL, updated_at = ? WHERE id = ?`,
      status,
      message,
      error,
      now,
      id,
    );
    this.#sql.exec('DELETE FROM task_journal WHERE task_id = ?', id);
  }

  /** What a job gets to work with (see TaskContext): progress, questions and waits, journaled here. */
  #contextFor(row: TaskRow, run: TaskRun): TaskContext {
    const id = row.id;
    const caller = JSON.parse(row.caller) as TaskCaller;
    const answers = new Map<string, InputResponse>();
    const timers = new Map<string, number>();
    for (const entry of this.#sql.exec<{ kind: string; key: string; value: string }>(
      'SELECT kind, key, value FROM task_journal WHERE task_id = ?',
      id,
    )) {
      if (entry.kind === 'answer') answers.set(entry.key, JSON.parse(entry.value) as InputResponse);
      else if (entry.kind === 'timer') timers.set(entry.key, Number(entry.value));
    }
    const sql = this.#sql;
    return {
      taskId: id,
      env: this.env,
      caller,
      signal: run.controller.signal,
      progress(message: string): void {
        if (run.closed) return;
        sql.exec(
          "UPDATE tasks SET status_message = ?, updated_at = ? WHERE id = ? AND status = 'working'",
          message.slice(0, 1000),
          Date.now(),
          id,
        );
      },
      ask(key: string, request: InputRequest): Promise<InputResponse> {
        if (run.closed) return never();
        const answer = answers.get(key);
        if (answer !== undefined) return Promise.resolve(answer);
        if (!canAnswer(caller, request)) {
          return Promise.reject(
            new TaskInputUnavailable(
              `This app did not declare that it can answer ${request.method}, so the task cannot ask it.`,
            ),
          );
        }
        run.asked[key] = request;
        run.suspend();
        return never();
      },
      sleep(key: string, ms: number): Promise<void> {
        if (run.closed) return never();
        let wake = timers.get(key);
        if (wake === undefined) {
          wake = Date.now() + Math.max(0, ms);
          timers.set(key, wake);
          sql.exec(
            "INSERT OR REPLACE INTO task_journal (task_id, kind, key, value) VALUES (?, 'timer', ?, ?)",
            id,
            key,
            String(wake),
          );
        }
        if (Date.now() >= wake) return Promise.resolve();
        run.wakeAt = Math.min(run.wakeAt ?? wake, wake);
        run.suspend();
        return never();
      },
    };
  }

  /** The task `id` if `access` may see it; an expired task is deleted here and then is not found. */
  #visible(id: string, access: TaskAccess): TaskRow | null {
    const row = this.#row(id);
    if (!row) return null;
    if (row.expires_at <= Date.now()) {
      this.#delete([id]);
      return null;
    }
    if (row.client_id !== access.clientId || !allows(new Set(access.scopes), row.scope)) return null;
    return row;
  }

  #detailed(row: TaskRow): DetailedTask {
    const info = infoOf(row);
    switch (row.status) {
      case 'input_required':
        return { ...info, status: 'input_required', inputRequests: JSON.parse(row.input_requests ?? '{}') };
      case 'completed':
        return { ...info, status: 'completed', result: this.#result(row.id) };
      case 'failed':
        return { ...info, status: 'failed', error: JSON.parse(row.error ?? '{}') as TaskError };
      default:
        return { ...info, status: row.status };
    }
  }

  /** Deletes the tasks past their TTL (a run in progress is stopped and dropped). */
  #expire(now: number): void {
    const expired = this.#sql
      .exec<{ id: string }>('SELECT id FROM tasks WHERE expires_at <= ?', now)
      .toArray()
      .map(({ id }) => id);
    if (expired.length === 0) return;
    this.#delete(expired);
    log('info', 'tasks_expired', { count: expired.length });
  }

  #delete(ids: string[]): void {
    this.ctx.storage.transactionSync(() => {
      for (const id of ids) {
        this.#running.get(id)?.stop();
        this.#sql.exec('DELETE FROM tasks WHERE id = ?', id);
        this.#sql.exec('DELETE FROM task_results WHERE task_id = ?', id);
        this.#sql.exec('DELETE FROM task_journal WHERE task_id = ?', id);
      }
    });
  }

  /** The alarm goes off at the next due run or expiry; none when there is no task. */
  async #schedule(): Promise<void> {
    const next = this.#sql
      .exec<{ next: number | null }>(
        `SELECT min(at) AS next FROM (
           SELECT run_at AS at FROM tasks WHERE run_at IS NOT NULL AND status = 'working'
           UNION ALL SELECT expires_at FROM tasks)`,
      )
      .one().next;
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    if ((await this.ctx.storage.getAlarm()) !== next) await this.ctx.storage.setAlarm(next);
  }

  /**
   * Stores the tool's result as the original request would have answered it on 2026-07-28 (with
   * `resultType: "complete"`, which the ext-tasks client requires of an inlined result). It may
   * exceed a row (2 MB): it is stored in parts, never splitting a surrogate pair.
   */
  #storeResult(id: string, result: CallToolResult): void {
    const json = JSON.stringify({ ...result, resultType: 'complete' });
    let part = 0;
    for (let at = 0; at < json.length; part += 1) {
      let end = Math.min(at + PART_CHARS, json.length);
      const last = json.charCodeAt(end - 1);
      if (end < json.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      this.#sql.exec(
        'INSERT INTO task_results (task_id, part, text) VALUES (?, ?, ?)',
        id,
        part,
        json.slice(at, end),
      );
      at = end;
    }
  }

  #result(id: string): CallToolResult {
    const parts = this.#sql
      .exec<{ text: string }>('SELECT text FROM task_results WHERE task_id = ? ORDER BY part', id)
      .toArray();
    return JSON.parse(parts.map((row) => row.text).join('')) as CallToolResult;
  }

  #row(id: string): TaskRow | null {
    return this.#sql.exec<TaskRow>('SELECT * FROM tasks WHERE id = ?', id).toArray()[0] ?? null;
  }

  get #sql(): SqlStorage {
    return this.ctx.storage.sql;
  }
}

function infoOf(row: TaskRow): TaskInfo {
  return {
    taskId: row.id,
    status: row.status,
    ...(row.status_message !== null && { statusMessage: row.status_message }),
    createdAt: new Date(row.created_at).toISOString(),
    lastUpdatedAt: new Date(row.updated_at).toISOString(),
    ttlMs: row.ttl_ms,
    pollIntervalMs: row.poll_interval_ms,
  };
}

/**
 * A job that threw: a JSON-RPC error fails the task (`failed`, the spec's protocol errors); our
 * own messages (`ToolError`, input the client cannot give) complete it with an `isError` result, and
 * anything else with a generic one, as the error boundary of a direct call does.
 */
function outcomeOfError(job: string, error: unknown): Outcome {
  if (error instanceof ProtocolError) {
    return { kind: 'failed', error: { code: error.code, message: error.message } };
  }
  if (error instanceof ToolError || error instanceof TaskInputUnavailable) {
    return { kind: 'done', result: { isError: true, content: [{ type: 'text', text: error.message }] } };
  }
  log('error', 'task_job_failed', { job, error: String(error) });
  return {
    kind: 'done',
    result: { isError: true, content: [{ type: 'text', text: `The tool ${job} failed unexpectedly.` }] },
  };
}

/** Whether the client declared what `request` needs (a task never asks what cannot be answered). */
function canAnswer(caller: TaskCaller, request: InputRequest): boolean {
  const capabilities = caller.capabilities;
  switch (request.method) {
    case 'elicitation/create':
      return request.params.mode === 'url'
        ? typeof (capabilities.elicitation as { url?: unknown } | undefined)?.url === 'object'
        : canElicitForm(capabilities);
    case 'sampling/createMessage':
      return capabilities.sampling !== undefined;
    case 'roots/list':
      return capabilities.roots !== undefined;
  }
}

/**
 * The shape an answer to `request` must have: the rules of the ext-tasks wire schemas
 * (`ElicitResultV2Schema`, `CreateMessageResultV2Schema`, `ListRootsResultV2Schema`), open to
 * extra fields as they are.
 */
function answerSchemaFor(request: InputRequest): z.ZodType {
  switch (request.method) {
    case 'elicitation/create':
      return ELICIT_RESULT;
    case 'sampling/createMessage':
      return CREATE_MESSAGE_RESULT;
    case 'roots/list':
      return LIST_ROOTS_RESULT;
  }
}

const ELICIT_RESULT = z.looseObject({
  action: z.enum(['accept', 'decline', 'cancel']),
  content: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
    .optional(),
});

const SAMPLING_CONTENT = z.looseObject({ type: z.string() });

const CREATE_MESSAGE_RESULT = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([SAMPLING_CONTENT, z.array(SAMPLING_CONTENT)]),
  model: z.string(),
  stopReason: z.string().optional(),
});

const LIST_ROOTS_RESULT = z.looseObject({
  roots: z.array(z.looseObject({ uri: z.string(), name: z.string().optional() })),
});
