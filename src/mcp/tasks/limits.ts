/** A task's life when its job does not say: one hour from creation, result included. */
export const DEFAULT_TASK_TTL_MS = 60 * 60 * 1000;

/** How often clients should poll `tasks/get`, when the job does not say. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;

/**
 * The longest one run of a task's work may take before the task fails (a job that waits, for an
 * answer or for time, is not running meanwhile). Below the 15 minutes an alarm may run.
 */
export const RUN_LIMIT_MS = 10 * 60 * 1000;

/** What one user may keep: tasks in progress, and tasks of any status not yet past their TTL. */
export const TASK_LIMITS = { inProgress: 20, stored: 200 } as const;
