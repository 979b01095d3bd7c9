// Restarting `wrangler dev` on the same state directory keeps clients, grants and sessions: the
// client's access token still works, its refresh token refreshes, the browser stays signed in,
// and a 2025-era MCP session (Mcp-Session-Id) goes on: its Durable Object replays the handshake.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type RunningServer, startServer } from './support/server.ts';
import { obtainAccessToken } from './support/token.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'mcp-restart-'));
let server: RunningServer | undefined;

after(async () => {
  await server?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function mcpPost(origin: string, token: string, body: unknown, sessionId?: string): Promise<Response> {
  return fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2025-06-18',
      ...(sessionId ? { 'Mcp-Session-Id': sessionId } : {}),
    },
    body: JSON.stringify(body),
  });
}

async function toolsList(origin: string, token: string, sessionId?: string): Promise<number> {
  const response = await mcpPost(
    origin,
    token,
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
    sessionId,
  );
  await response.body?.cancel();
  return response.status;
}

/** A session of a client that can answer elicitation (src/mcp/session.ts); its id. */
async function openMcpSession(origin: string, token: string): Promise<string> {
  const initialize = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: { elicitation: {} },
      clientInfo: { name: 'restart-test', version: '1.0.0' },
    },
  };
  const opened = await mcpPost(origin, token, initialize);
  assert.equal(opened.status, 200);
  await opened.body?.cancel();
  const sessionId = opened.headers.get('Mcp-Session-Id');
  assert.ok(sessionId, 'a client that can answer gets a session');
  const initialized = await mcpPost(
    origin,
    token,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    sessionId,
  );
  assert.equal(initialized.status, 202);
  return sessionId;
}

/** Signs a cookie-less "browser" in with the demo form; returns its Cookie header. */
async function browserSession(origin: string, email: string): Promise<string> {
  const page = await fetch(`${origin}/signin`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const csrfCookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const signedIn = await fetch(`${origin}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrfCookie },
    body: new URLSearchParams({ csrf, email, password: 'pw' }),
  });
  assert.equal(signedIn.status, 303);
  const session = signedIn.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith('__Host-session='))
    ?.split(';')[0];
  assert.ok(session, 'signing in set the session cookie');
  return `${csrfCookie}; ${session}`;
}

async function landingPage(origin: string, cookie: string): Promise<string> {
  return (await fetch(`${origin}/`, { headers: { Cookie: cookie } })).text();
}

test('clients, grants and sessions survive a restart of wrangler dev', { timeout: 240_000 }, async () => {
  server = await startServer({ stateDir });
  const { port, url } = server;
  const token = await obtainAccessToken(url, { email: 'restart@example.com' });
  assert.ok(token.refreshToken);
  assert.equal(await toolsList(url, token.accessToken), 200);
  const cookie = await browserSession(url, 'restart@example.com');
  assert.match(await landingPage(url, cookie), /You are signed in as restart@example\.com\./);
  const sessionId = await openMcpSession(url, token.accessToken);
  assert.equal(await toolsList(url, token.accessToken, sessionId), 200);

  await server.stop();
  server = await startServer({ stateDir, port });
  assert.equal(server.url, url, 'the same origin, so the tokens are for this resource');

  assert.equal(await toolsList(url, token.accessToken), 200, 'the access token still works');
  assert.equal(
    await toolsList(url, token.accessToken, sessionId),
    200,
    'the MCP session goes on (its object replays the handshake)',
  );
  const refreshed = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: token.refreshToken,
      client_id: token.clientId,
    }),
  });
  assert.equal(refreshed.status, 200, 'the client and its grant are still there');
  const next = (await refreshed.json()) as { access_token: string };
  assert.equal(await toolsList(url, next.access_token), 200);
  assert.match(
    await landingPage(url, cookie),
    /You are signed in as restart@example\.com\./,
    'the browser session survives (its key is kept in KV)',
  );
});
