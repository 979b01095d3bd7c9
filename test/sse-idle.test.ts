import { describe, expect, it } from 'vitest';
import { DEFAULT_SSE_IDLE_TIMEOUT_SECONDS } from '../src/mcp/routes';
import { ORIGIN, send } from './support/browser';
import { initializeRequest } from './support/mcp';
import { accessToken } from './support/oauth';
import { EventStream } from './support/sse';
import { workerWith } from './support/worker';

/** The Worker with a short SSE idle timeout (SSE_IDLE_TIMEOUT_SECONDS). */
// Two seconds: far more than the 300 ms between the messages below, even on a loaded machine.
const quickIdle = workerWith({ SSE_IDLE_TIMEOUT_SECONDS: '2' });

async function openStream(token: string): Promise<{ stream: EventStream; endpoint: string }> {
  const response = await send(
    '/sse',
    { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } },
    ORIGIN,
    quickIdle,
  );
  expect(response.status).toBe(200);
  const stream = new EventStream(response);
  const first = await stream.next();
  expect(first.event).toBe('endpoint');
  return { stream, endpoint: first.data };
}

function post(endpoint: string, token: string, body: unknown): Promise<Response> {
  return send(
    endpoint,
    {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    },
    ORIGIN,
    quickIdle,
  );
}

describe('an idle legacy SSE session', () => {
  it('is closed after SSE_IDLE_TIMEOUT_SECONDS without a posted message (30 minutes by default)', async () => {
    expect(DEFAULT_SSE_IDLE_TIMEOUT_SECONDS).toBe(1800);
    const token = await accessToken('idle@example.com');
    const { stream, endpoint } = await openStream(token);
    await expect(stream.next(10_000)).rejects.toThrow('The SSE stream ended');
    // The session is gone: a message to it finds nothing.
    expect((await post(endpoint, token, initializeRequest())).status).toBe(404);
  });

  it('each posted message restarts the timer', async () => {
    const token = await accessToken('busy@example.com');
    const { stream, endpoint } = await openStream(token);
    for (let id = 1; id <= 3; id++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await post(endpoint, token, initializeRequest(id))).status).toBe(202);
      expect((await stream.next()).event).toBe('message');
    }
    await expect(stream.next(10_000)).rejects.toThrow('The SSE stream ended');
  });
});
