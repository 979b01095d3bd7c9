import { vi } from 'vitest';

/** A service outside the machine, answered inside the test Worker (./fake-oidc.ts, ./fake-github.ts). */
export interface StandIn {
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * Sends the Worker's `fetch` of each origin in `standIns` to its stand-in; any other URL goes out as
 * before. The upstream is the one thing outside the machine, so it is the one thing faked.
 * `vi.restoreAllMocks()` (in the test file's `afterEach`) undoes it.
 */
export function answerUpstreams(standIns: Record<string, StandIn>): void {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const standIn = standIns[new URL(request.url).origin];
    return standIn ? standIn.fetch(request) : realFetch(input, init);
  });
}

/** A stand-in that is down: every request answers 503. */
export const DOWN: StandIn = { fetch: () => new Response('unavailable', { status: 503 }) };
