import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLIENT_PROFILES, type ClientProfile, profile, resourceFor } from '../scripts/doctor/profiles';
import { Browser, type Fetcher, ORIGIN, send } from './support/browser';
import { answerOf, mcpPost } from './support/mcp';
import {
  approvedCode,
  authorizePath,
  consentFormOf,
  decide,
  exchangeCode,
  pkce,
  REDIRECT_URI,
  redirectOf,
  register,
  registerClient,
  signIn,
  tokenRequest,
} from './support/oauth';
import { bindings, workerWith } from './support/worker';

/**
 * The hosted and desktop clients as each is documented to behave (scripts/doctor/profiles.ts),
 * inside workerd. The end-to-end file test/e2e/clients.test.ts drives the registered (DCR) ones
 * through Chromium against `wrangler dev`; the Client ID Metadata Document ones are here, because
 * their document lives on the client's own site, outside this machine: the Worker's fetch of it is
 * answered by the test, and nothing else is.
 */

const MCP_URL = `${ORIGIN}/mcp`;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Serves the metadata documents of the CIMD profiles, and refuses any other outbound fetch. */
function serveMetadataDocuments() {
  const documents = new Map(
    CLIENT_PROFILES.flatMap((client) =>
      client.registration.kind === 'cimd'
        ? [[client.registration.clientId, client.registration.document]]
        : [],
    ),
  );
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new Request(input, init).url;
    const document = documents.get(url);
    if (!document) throw new Error(`Unexpected fetch of ${url}`);
    return Response.json(document, { headers: { 'Cache-Control': 'no-store' } });
  });
}

/** Everything the client sends on the back channel, from its own address. */
function backChannel(client: ClientProfile): Record<string, string> {
  return { ...client.backChannelHeaders, 'CF-Connecting-IP': client.address };
}

/** The client's first MCP call after consent: `tools/call add` in its own protocol era and headers. */
async function callAdd(client: ClientProfile, token: string) {
  const modern = client.protocolVersion >= '2026-07-28';
  const params: Record<string, unknown> = { name: 'add', arguments: { a: 23, b: 19 } };
  const headers: Record<string, string> = {
    ...client.mcpHeaders,
    'MCP-Protocol-Version': client.protocolVersion,
  };
  if (modern) {
    params._meta = {
      'io.modelcontextprotocol/protocolVersion': client.protocolVersion,
      'io.modelcontextprotocol/clientInfo': client.clientInfo,
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    headers['Mcp-Method'] = 'tools/call';
    headers['Mcp-Name'] = 'add';
  }
  const response = await mcpPost({ jsonrpc: '2.0', id: 2, method: 'tools/call', params }, { token, headers });
  expect(response.status).toBe(200);
  return answerOf(response);
}

/**
 * A new user of a CIMD `client` signs in and approves, as that client's authorization request
 * (its document served by the test), and the client redeems the code from its own address.
 */
async function connectWithDocument(client: ClientProfile, fetcher?: Fetcher) {
  if (client.registration.kind !== 'cimd') throw new Error(`${client.id} has no metadata document`);
  const clientId = client.registration.clientId;
  const redirectUri = client.redirectUri(40123);
  const { verifier, challenge } = await pkce();
  const resource = resourceFor(client, MCP_URL);
  const path = authorizePath(
    { client_id: clientId, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
    challenge,
    {
      state: 'state-cimd',
      resource,
      extra: { scope: 'mcp notes:read notes:write' },
    },
  );
  const browser = new Browser();
  expect((await signIn(browser, path, `${client.id}-${crypto.randomUUID()}@example.com`)).status).toBe(303);
  const page = await browser.get(path);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  expect(html).toContain(`Published by <strong>${new URL(clientId).hostname}</strong>`);
  const location = redirectOf(
    await decide(browser, consentFormOf(html), 'approve', ['mcp', 'notes:read', 'notes:write']),
  );
  expect(location.href.startsWith(redirectUri)).toBe(true);
  expect(location.searchParams.get('iss')).toBe(ORIGIN);
  const exchanged = await send(
    '/oauth/token',
    {
      method: 'POST',
      headers: { ...backChannel(client), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: location.searchParams.get('code') ?? '',
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
        resource,
      }),
    },
    undefined,
    fetcher,
  );
  return { clientId, resource, exchanged };
}

describe('clients with a Client ID Metadata Document', () => {
  for (const client of CLIENT_PROFILES.filter((candidate) => candidate.registration.kind === 'cimd')) {
    it(`${client.name}: its document, its resource and redirect, through consent to add = 42, a notes tool and a refresh`, async () => {
      serveMetadataDocuments();
      const { clientId, resource, exchanged } = await connectWithDocument(client);
      expect(exchanged.status).toBe(200);
      const tokens = (await exchanged.json()) as {
        access_token: string;
        refresh_token: string;
        resource: string;
      };
      expect(tokens.resource).toBe(resource);
      const added = await callAdd(client, tokens.access_token);
      expect(added.result?.structuredContent).toEqual({ sum: 42 });

      const notes = await mcpPost(
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'notes_list', arguments: {} } },
        {
          token: tokens.access_token,
          headers: { ...client.mcpHeaders, 'MCP-Protocol-Version': '2025-11-25' },
        },
      );
      expect(notes.status).toBe(200);
      expect((await answerOf(notes)).result?.isError).toBeUndefined();

      const refreshed = await tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: clientId,
        resource,
      });
      expect(refreshed.status).toBe(200);
    });
  }

  it("past its shared address's limit for unknown clients, a metadata-document client's users still redeem and refresh", async () => {
    serveMetadataDocuments();
    const claude = profile('claude-cimd');
    const fetcher = workerWith({ TOKEN_ADDRESS_LIMITER: bindings.LOW_LIMITER });
    const fromClaude = (fields: Record<string, string>) =>
      send(
        '/oauth/token',
        {
          method: 'POST',
          headers: { ...backChannel(claude), 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields),
        },
        undefined,
        fetcher,
      );
    const clientId = claude.registration.kind === 'cimd' ? claude.registration.clientId : '';
    // A credential of no grant: the client is not known by it, so it is counted by address.
    const madeUp = {
      grant_type: 'refresh_token',
      refresh_token: 'nobody:nothing:never',
      client_id: clientId,
    };
    await fromClaude(madeUp);
    await fromClaude(madeUp);
    expect((await fromClaude(madeUp)).status).toBe(429);
    for (let user = 0; user < 3; user++) {
      const { resource, exchanged } = await connectWithDocument(claude, fetcher);
      expect(exchanged.status).toBe(200);
      const { refresh_token } = (await exchanged.json()) as { refresh_token: string };
      const refreshed = await fromClaude({
        grant_type: 'refresh_token',
        refresh_token,
        client_id: clientId,
        resource,
      });
      expect(refreshed.status).toBe(200);
    }
  });

  it('token requests of one metadata-document client are counted per user, not for all its users at once', async () => {
    const { tokenLimitKey, summarizeTokenRequest } = await import('../src/auth/token-endpoint');
    const request = (refreshToken: string) =>
      new Request(`${ORIGIN}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'CF-Connecting-IP': '160.79.104.10' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id:
            profile('claude-code').registration.kind === 'cimd'
              ? 'https://claude.ai/oauth/claude-code-client-metadata'
              : '',
        }),
      });
    const keyOf = async (refreshToken: string) => {
      const made = request(refreshToken);
      return tokenLimitKey(await summarizeTokenRequest(made), made);
    };
    expect(await keyOf('user-a:grant-1:secret')).not.toBe(await keyOf('user-b:grant-2:secret'));
    expect(await keyOf('user-a:grant-1:secret')).toBe(await keyOf('user-a:grant-3:other'));
  });
});

describe('native apps: private-use redirect URIs (RFC 8252 §7.1)', () => {
  const cursor = profile('cursor');

  it('Cursor registers its three callbacks and authorizes with cursor://; the consent page names the scheme', async () => {
    if (cursor.registration.kind !== 'dcr') throw new Error('Cursor registers dynamically');
    const registered = await register(cursor.registration.body(0), cursor.address);
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as { client_id: string; redirect_uris: string[] };
    const redirectUri = cursor.redirectUri(0);
    const { challenge } = await pkce();
    const path = authorizePath({ ...client, token_endpoint_auth_method: 'none' }, challenge, {
      redirectUri,
      resource: MCP_URL,
    });
    const browser = new Browser();
    await signIn(browser, path, `cursor-${crypto.randomUUID()}@example.com`);
    const page = await browser.get(path);
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(html).toContain('the app that opens <strong>cursor:</strong> links on this device');
    expect(page.headers.get('Content-Security-Policy')).toContain('form-action');
    expect(page.headers.get('Content-Security-Policy')).toContain('cursor:');
    const location = redirectOf(await decide(browser, consentFormOf(html), 'approve'));
    expect(location.protocol).toBe('cursor:');
    expect(location.href.startsWith(`${redirectUri}?`)).toBe(true);
    expect(location.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('a private-use URI that was not registered is refused, and nothing is redirected there', async () => {
    const client = await registerClient({
      redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback', 'http://127.0.0.1:40000/callback'],
    });
    const { challenge } = await pkce();
    for (const redirectUri of ['evil://steal/callback', 'cursor://anysphere.cursor-mcp/other']) {
      const response = await new Browser().get(authorizePath(client, challenge, { redirectUri }));
      expect(response.status).toBe(400);
      expect(response.headers.has('Location')).toBe(false);
      expect(await response.text()).toContain('Invalid redirect URI');
    }
  });
});

describe('a client this server no longer knows', () => {
  it('the token endpoint answers 401 invalid_client (hosted clients register again on it)', async () => {
    const response = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: 'someone:grant:secret',
      client_id: 'forgotten-client-id',
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('the authorization page says the app must reconnect', async () => {
    const { challenge } = await pkce();
    const forgotten = {
      client_id: 'forgotten-client-id',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
    };
    const response = await new Browser().get(authorizePath(forgotten, challenge));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('This app needs to reconnect');
    expect(html).toContain('remove this server');
  });
});

describe('registrations from shared addresses', () => {
  it('a flood past the ceiling over all addresses answers 429, whatever the address', async () => {
    const fetcher = workerWith({ REGISTER_GLOBAL_LIMITER: bindings.LOW_LIMITER });
    const statuses: number[] = [];
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      const response = await send(
        '/oauth/register',
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': address },
          body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
        },
        undefined,
        fetcher,
      );
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('Retry-After')).toBe('60');
        expect(((await response.json()) as { error_description: string }).error_description).toBe(
          'This server takes no more client registrations for now. Try again in a minute.',
        );
      }
    }
    expect(statuses).toEqual([201, 201, 429]);
  });

  it('a registration lives a day until it obtains a token, then the full 90 days', async () => {
    const day = 24 * 60 * 60;
    const expiryOf = async (clientId: string) => {
      const listed = await bindings.OAUTH_KV.list({ prefix: `client:${clientId}` });
      const record = (await bindings.OAUTH_KV.get(`client:${clientId}`, 'json')) as {
        registrationExpiresAt: number;
      };
      return { kv: listed.keys[0]?.expiration ?? 0, record: record.registrationExpiresAt };
    };
    const now = Math.floor(Date.now() / 1000);
    // Registered and authorized, its code not yet redeemed: no token obtained so far.
    const { client, code, verifier } = await approvedCode(`lifetime-${crypto.randomUUID()}@example.com`);
    const fresh = await expiryOf(client.client_id);
    expect(fresh.kv).toBeGreaterThanOrEqual(now + day - 5);
    expect(fresh.kv).toBeLessThanOrEqual(now + day + 60);
    expect(fresh.record).toBeLessThanOrEqual(now + day + 60);

    const exchanged = await exchangeCode(client, code, verifier);
    expect(exchanged.status).toBe(200);
    const used = await expiryOf(client.client_id);
    expect(used.kv).toBeGreaterThanOrEqual(now + 89 * day);
    expect(used.record).toBeGreaterThanOrEqual(now + 89 * day);
  });
});

describe('token lifetimes', () => {
  it('ACCESS_TOKEN_TTL sets expires_in; the default is an hour', async () => {
    const issue = async (fetcher?: ReturnType<typeof workerWith>) => {
      const { client, code, verifier } = await approvedCode(`ttl-${crypto.randomUUID()}@example.com`);
      // The lifetime is the token endpoint's: the Worker that answers it has the setting.
      const response = await exchangeCode(client, code, verifier, fetcher);
      expect(response.status).toBe(200);
      return ((await response.json()) as { expires_in: number }).expires_in;
    };
    expect(await issue()).toBe(3600);
    expect(await issue(workerWith({ ACCESS_TOKEN_TTL: '86400' }))).toBe(86400);
  });

  it.each(['0', '59', 'an hour', '1.5'])(
    'a bad ACCESS_TOKEN_TTL (%s) is a clear error naming the setting',
    async (value) => {
      const response = await send(
        '/.well-known/oauth-authorization-server',
        {},
        undefined,
        workerWith({ ACCESS_TOKEN_TTL: value }),
      );
      expect(response.status).toBe(500);
      const body = (await response.json()) as { error_description: string };
      expect(body.error_description).toContain(
        'ACCESS_TOKEN_TTL must be a whole number of seconds, at least 60',
      );
    },
  );
});

describe('tools a grant cannot use', () => {
  it('stay listed, and their description says what they need and what to do', async () => {
    const { connect } = await import('./support/oauth');
    const { modernCall } = await import('./support/mcp');
    const narrowed = await connect(`narrowed-${crypto.randomUUID()}@example.com`, { request: ['mcp'] });
    const full = await connect(`full-${crypto.randomUUID()}@example.com`, {
      request: ['mcp', 'notes:read', 'notes:write'],
    });
    const descriptions = async (token: string) => {
      const { answer } = await modernCall(token, 'tools/list');
      const tools = (answer.result?.tools ?? []) as Array<{ name: string; description: string }>;
      return new Map(tools.map((tool) => [tool.name, tool.description]));
    };
    const limited = await descriptions(narrowed.tokens.access_token);
    const whole = await descriptions(full.tokens.access_token);
    expect([...limited.keys()]).toEqual([...whole.keys()]);
    expect(limited.get('notes_create')).toContain(
      'Not available on this connection: it needs the notes:write scope',
    );
    expect(limited.get('notes_list')).toContain('it needs the notes:read scope');
    expect(limited.get('add')).toBe(whole.get('add'));
    expect(whole.get('notes_create')).not.toContain('Not available');
  });
});
