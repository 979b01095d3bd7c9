import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { AppEnv } from '../../src/auth/env';
import worker from '../../src/index';
import type { Fetcher } from './browser';

/**
 * The Worker's default export called with exactly `vars` for every request: the bindings and the
 * variables a test chose (a provider's settings, `withProviders`), each request with its own
 * execution context, awaited.
 */
export function workerOn(vars: AppEnv): Fetcher {
  return async (request) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, vars, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

/**
 * The Worker's default export called with its real bindings changed by `changes`: a variable, a
 * low-limit rate limiter, a KV namespace or Durable Object namespace that fails (./faults.ts).
 */
export function workerWith(changes: Partial<Record<keyof AppEnv, unknown>>): Fetcher {
  return workerOn({ ...env, ...changes } as AppEnv);
}

/** The real bindings of the test Worker (wrangler.jsonc, with vitest.config.ts's limiters). */
export const bindings = env as unknown as AppEnv & { LOW_LIMITER: RateLimit };
