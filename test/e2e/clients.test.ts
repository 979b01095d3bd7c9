// The hosted and desktop MCP clients people use, each simulated faithfully against the real
// `wrangler dev`: its documented discovery, registration body, headers (`User-Agent`, `Origin`),
// `resource` form and redirect URI, from its own address (`CF-Connecting-IP`), through sign-in and
// consent in Chromium, to `tools/call add` = 42, a notes tool, and a refresh. What each sends, and
// where that is documented, is in scripts/doctor/profiles.ts (the same list `npm run doctor` uses).
// The clients that identify with a Client ID Metadata Document (Claude Code, Claude's CIMD path)
// are in test/clients.test.ts: their document is on the client's site, outside this machine.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { CLIENT_PROFILES, type ClientProfile, resourceFor } from '../../scripts/doctor/profiles.ts';
import { authorizeInBrowser, launchBrowser } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';
import { obtainAccessToken } from './support/token.ts';

let server: RunningServer;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

interface Rpc {
  status: number;
  message?: { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

/** One JSON-RPC request to the MCP endpoint, answered as JSON or as an SSE stream. */
async function rpc(
  client: ClientProfile,
  mcpUrl: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<Rpc> {
  const modern = client.protocolVersion >= '2026-07-28';
  const headers: Record<string, string> = {
    ...client.mcpHeaders,
    'CF-Connecting-IP': client.address,
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': client.protocolVersion,
  };
  let body: Record<string, unknown> = { jsonrpc: '2.0', id: 1, method, params };
  if (modern) {
    headers['Mcp-Method'] = method;
    if (typeof params.name === 'string') headers['Mcp-Name'] = params.name;
    body = {
      ...body,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': client.protocolVersion,
          'io.modelcontextprotocol/clientInfo': client.clientInfo,
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    };
  }
  const response = await fetch(mcpUrl, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) return { status: response.status };
  const json = (response.headers.get('Content-Type') ?? '').includes('text/event-stream')
    ? text
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .at(-1)
    : text;
  return { status: response.status, message: JSON.parse(json ?? 'null') };
}

/** The client's session: the handshake of its era (2025: initialize; 2026-07-28: server/discover). */
async function open(client: ClientProfile, mcpUrl: string, token: string): Promise<void> {
  const modern = client.protocolVersion >= '2026-07-28';
  const opened = modern
    ? await rpc(client, mcpUrl, token, 'server/discover')
    : await rpc(client, mcpUrl, token, 'initialize', {
        protocolVersion: client.protocolVersion,
        capabilities: {},
        clientInfo: client.clientInfo,
      });
  assert.equal(opened.status, 200, `${client.name}: the handshake`);
  assert.ok(
    opened.message?.result,
    `${client.name}: the handshake answered ${JSON.stringify(opened.message)}`,
  );
}

async function callTool(
  client: ClientProfile,
  mcpUrl: string,
  token: string,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const answer = await rpc(client, mcpUrl, token, 'tools/call', { name, arguments: args });
  assert.equal(answer.status, 200, `${client.name}: tools/call ${name} answered ${answer.status}`);
  const result = answer.message?.result;
  assert.ok(result, `${client.name}: tools/call ${name}: ${JSON.stringify(answer.message)}`);
  assert.notEqual(result.isError, true, `${client.name}: ${name} failed: ${JSON.stringify(result.content)}`);
  return result;
}

/** A request on the client's back channel (discovery, registration, token), from its address. */
function backChannel(client: ClientProfile, url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    headers: { ...client.backChannelHeaders, 'CF-Connecting-IP': client.address, ...init.headers },
    redirect: 'manual',
  });
}

function tokenRequest(client: ClientProfile, tokenEndpoint: string, fields: Record<string, string>) {
  return backChannel(client, tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
}

/** The loopback listener a native client (VS Code, Goose) opens for its callback, on a port it picked. */
async function nativeListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const listener = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end('<!doctype html><title>Signed in</title><h1>You can close this window</h1>');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        listener.closeAllConnections();
        listener.close(() => resolve());
      }),
  };
}

const registered = CLIENT_PROFILES.filter((client) => client.registration.kind === 'dcr');

describe('each client, as it really connects', { timeout: 600_000 }, () => {
  for (const client of registered) {
    test(`${client.name}: discovery, registration, consent in Chromium, add = 42, a notes tool, refresh`, async () => {
      if (client.registration.kind !== 'dcr') throw new Error('unreachable');
      const mcpUrl = `${server.url}/mcp`;

      // Discovery: the first MCP request has no token; the challenge leads to the metadata.
      const first = await fetch(mcpUrl, {
        method: 'POST',
        headers: {
          ...client.mcpHeaders,
          'CF-Connecting-IP': client.address,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'tools/list', params: {} }),
      });
      assert.equal(first.status, 401, `${client.name}: the first request is challenged, not refused`);
      const challenge = first.headers.get('WWW-Authenticate') ?? '';
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      const scope = /scope="([^"]+)"/.exec(challenge)?.[1] ?? '';
      assert.equal(metadataUrl, `${server.url}/.well-known/oauth-protected-resource/mcp`);
      assert.equal(scope, 'mcp notes:read notes:write');
      const resourceMetadata = (await (await backChannel(client, metadataUrl ?? '')).json()) as {
        resource: string;
        authorization_servers: string[];
      };
      // VS Code and strict clients check this: the resource is the URL they were given.
      assert.equal(resourceMetadata.resource, mcpUrl);
      const issuer = resourceMetadata.authorization_servers[0] ?? '';
      const metadata = (await (
        await backChannel(client, `${issuer}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, string>;
      const registrationEndpoint = metadata.registration_endpoint ?? '';
      const tokenEndpoint = metadata.token_endpoint ?? '';

      // Registration with the client's own body.
      const native = await nativeListener();
      const port = native.port;
      const registration = await backChannel(client, registrationEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(client.registration.body(port)),
      });
      assert.equal(
        registration.status,
        201,
        `${client.name}: registration ${await registration.clone().text()}`,
      );
      const info = (await registration.json()) as { client_id: string; client_secret?: string };
      assert.equal(
        Boolean(info.client_secret),
        client.confidential,
        'a secret exactly for a confidential client',
      );
      const secret: Record<string, string> = info.client_secret ? { client_secret: info.client_secret } : {};

      // Authorization, in Chromium: sign in, consent, back to the client's redirect URI.
      const redirectUri = client.redirectUri(port);
      const resource = resourceFor(client, mcpUrl);
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const authorization = new URL(metadata.authorization_endpoint ?? '');
      for (const [name, value] of Object.entries({
        response_type: 'code',
        client_id: info.client_id,
        redirect_uri: redirectUri,
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        scope,
        resource,
      })) {
        authorization.searchParams.set(name, value);
      }
      const seen = await authorizeInBrowser(authorization, {
        email: `${client.id}@example.com`,
        label: `client-${client.id}`,
      }).finally(native.close);
      assert.match(seen.consentText, /Read your notes\s+notes:read/);
      if (client.id === 'cursor')
        assert.match(seen.consentText, /the app that opens cursor: links on this device/);
      const callback = seen.callbackUrl;
      assert.ok(callback.href.startsWith(redirectUri), `${client.name}: back at ${callback.href}`);
      assert.equal(callback.searchParams.get('state'), state);
      assert.equal(callback.searchParams.get('iss'), issuer, 'RFC 9207: the issuer in the response');
      const code = callback.searchParams.get('code');
      assert.ok(code, `${client.name}: a code in ${callback.href}`);

      // The code for tokens, bound to the resource the client named.
      const exchanged = await tokenRequest(client, tokenEndpoint, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: info.client_id,
        code_verifier: verifier,
        resource,
        ...secret,
      });
      assert.equal(exchanged.status, 200, `${client.name}: token ${await exchanged.clone().text()}`);
      const tokens = (await exchanged.json()) as {
        access_token: string;
        refresh_token: string;
        scope: string;
        resource: string;
      };
      assert.equal(tokens.resource, resource);
      assert.equal(tokens.scope, 'mcp notes:read notes:write');

      await open(client, mcpUrl, tokens.access_token);
      const added = await callTool(client, mcpUrl, tokens.access_token, 'add', { a: 23, b: 19 });
      assert.deepEqual(added.structuredContent, { sum: 42 });
      // A notes tool after the first consent: the scopes the challenge named were granted.
      await callTool(client, mcpUrl, tokens.access_token, 'notes_create', { title: `From ${client.name}` });
      const listed = await callTool(client, mcpUrl, tokens.access_token, 'notes_list', {});
      assert.equal((listed.structuredContent as { total: number }).total, 1);

      const refreshed = await tokenRequest(client, tokenEndpoint, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: info.client_id,
        resource,
        ...secret,
      });
      assert.equal(refreshed.status, 200, `${client.name}: refresh ${await refreshed.clone().text()}`);
      const renewed = (await refreshed.json()) as { access_token: string };
      const again = await callTool(client, mcpUrl, renewed.access_token, 'add', { a: 40, b: 2 });
      assert.deepEqual(again.structuredContent, { sum: 42 });
    });
  }

  test("Claude's shared addresses: 200 registrations in a minute from one address all succeed", async () => {
    const claude = registered.find((client) => client.id === 'claude');
    assert.ok(claude && claude.registration.kind === 'dcr');
    const body = JSON.stringify(claude.registration.body(0));
    const address = '160.79.104.77';
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${server.url}/oauth/register`, {
            method: 'POST',
            headers: {
              ...claude.backChannelHeaders,
              'CF-Connecting-IP': address,
              'Content-Type': 'application/json',
            },
            body,
          }),
        ),
      );
      for (const answer of answers) {
        await answer.body?.cancel();
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }
    }
    assert.deepEqual([...statuses], [[201, 200]]);
  });
});

describe('a strict RFC 9728 client (oauth4webapi)', () => {
  for (const path of ['/mcp', '/sse']) {
    test(`discovers ${path}: the metadata's resource is exactly the URL requested`, async () => {
      const resource = new URL(`${server.url}${path}`);
      const options = { [oauth.allowInsecureRequests]: true };
      const response = await oauth.resourceDiscoveryRequest(resource, options);
      const metadata = await oauth.processResourceDiscoveryResponse(resource, response);
      assert.equal(metadata.resource, resource.href);
      assert.deepEqual(metadata.authorization_servers, [server.url]);
      const issuer = new URL(server.url);
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }),
      );
      assert.equal(as.issuer, server.url);
    });
  }
});

describe('a web app in the browser calls /mcp with fetch', { timeout: 180_000 }, () => {
  let pages: Server;
  let pagesPort: number;
  let allowedServer: RunningServer;

  before(async () => {
    // A page on another site: Chromium resolves these names to this machine.
    pages = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><title>A web app</title><h1>A web app</h1>');
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const address = pages.address();
    pagesPort = typeof address === 'object' && address ? address.port : 0;
    // A server whose ALLOWED_ORIGINS names the app's origin (on a public-looking name).
    allowedServer = await startServer({ vars: { ALLOWED_ORIGINS: `http://app.example.test:${pagesPort}` } });
  });

  after(async () => {
    await allowedServer?.stop();
    await new Promise((resolve) => pages?.close(resolve));
  });

  test('an allowed origin reads the answer; an unknown origin is refused', async () => {
    const token = await obtainAccessToken(allowedServer.url, { email: 'web-app@example.com' });
    const browser = await launchBrowser(undefined, [
      '--host-resolver-rules=MAP app.example.test 127.0.0.1, MAP evil.example.test 127.0.0.1',
    ]);
    try {
      const page = await browser.context.newPage();
      const call = (origin: string) =>
        page
          .evaluate(
            async ({ mcpUrl, accessToken }) => {
              try {
                const response = await fetch(mcpUrl, {
                  method: 'POST',
                  headers: {
                    Authorization: `Bearer ${accessToken}`,
                    'Content-Type': 'application/json',
                    Accept: 'application/json, text/event-stream',
                    'MCP-Protocol-Version': '2025-06-18',
                  },
                  body: JSON.stringify({
                    jsonrpc: '2.0',
                    id: 1,
                    method: 'tools/call',
                    params: { name: 'add', arguments: { a: 23, b: 19 } },
                  }),
                });
                return {
                  status: response.status,
                  text: await response.text(),
                  version: response.headers.get('Mcp-Protocol-Version'),
                };
              } catch (error) {
                return { failed: String(error) };
              }
            },
            { mcpUrl: `${allowedServer.url}/mcp`, accessToken: token.accessToken },
          )
          .then((result) => ({ origin, ...result }));

      await page.goto(`http://app.example.test:${pagesPort}/`);
      const allowed = await call('allowed');
      assert.equal('status' in allowed ? allowed.status : allowed, 200, JSON.stringify(allowed));
      assert.match('text' in allowed ? String(allowed.text) : '', /"text":"42"/);

      await page.goto(`http://evil.example.test:${pagesPort}/`);
      const refused = await call('unknown');
      assert.ok(
        'failed' in refused,
        `the browser refused to hand over the answer: ${JSON.stringify(refused)}`,
      );
    } finally {
      await browser.close();
    }
  });
});
