// A bounded load test against the real `wrangler dev` on 127.0.0.1 with the product's limits
// (wrangler.jsonc): past each limit the server answers 429 with Retry-After, never an error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from './support/server.ts';
import { type AccessToken, obtainAccessToken } from './support/token.ts';

let server: RunningServer;
let tokenClient: AccessToken;
let mcpUser: AccessToken;

before(async () => {
  server = await startServer();
  // Before the registration burst uses up this address's registrations.
  tokenClient = await obtainAccessToken(server.url, { email: 'load-token@example.com' });
  mcpUser = await obtainAccessToken(server.url, { email: 'load-mcp@example.com' });
});

after(async () => {
  await server?.stop();
});

/** Waits for a fresh one-minute window when less than `seconds` remain of this one (wrangler's
 * simulated limiter counts in windows aligned to the clock). */
async function freshWindow(seconds: number): Promise<void> {
  const left = 60 - ((Date.now() / 1000) % 60);
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 200));
}

/** Sends `count` requests, `concurrency` at a time; returns how many got each status. */
async function burst(count: number, concurrency: number, send: (index: number) => Promise<Response>) {
  const statuses = new Map<number, number>();
  const retryAfter = new Set<string | null>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const response = await send(index);
        await response.body?.cancel();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 429) retryAfter.add(response.headers.get('Retry-After'));
      }
    }),
  );
  return { statuses, retryAfter };
}

function assertLimited(
  result: Awaited<ReturnType<typeof burst>>,
  ok: number,
  limit: number,
  what: string,
): void {
  const summary = JSON.stringify([...result.statuses]);
  for (const status of result.statuses.keys()) assert.ok(status < 500, `${what}: no 5xx (${summary})`);
  // Earlier requests of the test (a registration, a code exchange) may count in the same window.
  const served = result.statuses.get(ok) ?? 0;
  assert.ok(served <= limit && served >= limit - 3, `${what}: the limit served (${summary})`);
  assert.ok((result.statuses.get(429) ?? 0) > 0, `${what}: 429s past the limit (${summary})`);
  assert.deepEqual([...result.retryAfter], ['60']);
}

describe('past its limit, each endpoint answers 429 with Retry-After, never an error', {
  timeout: 180_000,
}, () => {
  test('client registrations: 300 a minute per address (hosted clients register for all their users)', async () => {
    await freshWindow(30);
    const result = await burst(330, 8, () =>
      fetch(`${server.url}/oauth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: ['http://127.0.0.1:9/cb'],
          token_endpoint_auth_method: 'none',
        }),
      }),
    );
    assertLimited(result, 201, 300, 'registrations');
  });

  test('token requests: 60 a minute per client', async () => {
    const token = tokenClient;
    await freshWindow(20);
    const result = await burst(90, 8, (index) =>
      fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: `${token.clientId}:x:not-a-token-${index}`,
          client_id: token.clientId,
        }),
      }),
    );
    assertLimited(result, 400, 60, 'token requests');
  });

  test('MCP requests: 600 a minute per user', async () => {
    const token = mcpUser;
    await freshWindow(30);
    const result = await burst(700, 16, (index) =>
      fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token.accessToken}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'MCP-Protocol-Version': '2025-06-18',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: index,
          method: 'tools/call',
          params: { name: 'add', arguments: { a: index, b: 1 } },
        }),
      }),
    );
    assertLimited(result, 200, 600, 'MCP requests');
  });

  test('sign-in attempts: 10 a minute per account', async () => {
    await freshWindow(15);
    const result = await burst(15, 3, async () => {
      const page = await fetch(`${server.url}/signin`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
      const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
      return fetch(`${server.url}/signin`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
        body: new URLSearchParams({ csrf, email: 'load-signin@example.com', password: 'pw' }),
      });
    });
    assertLimited(result, 303, 10, 'sign-in attempts');
  });
});
