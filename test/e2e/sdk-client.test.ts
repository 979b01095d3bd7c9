// The MCP TypeScript SDK's own client (v2) through the whole OAuth flow against `wrangler dev`,
// with a person played by headless Chromium: 401 → discovery → dynamic registration → sign-in →
// consent → loopback callback → token, then tools. Once per protocol era, and once saying no.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  type ClientOptions,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { authorizeInBrowser } from './support/browser.ts';
import { type CallbackServer, MemoryOAuthProvider, startCallbackServer } from './support/oauth.ts';
import { type RunningServer, startServer } from './support/server.ts';

const MODERN: ClientOptions = { versionNegotiation: { mode: { pin: '2026-07-28' } } };
const LEGACY: ClientOptions = { versionNegotiation: { mode: 'legacy' } };

let server: RunningServer;
let callbacks: CallbackServer;

before(async () => {
  server = await startServer();
  callbacks = await startCallbackServer();
});

after(async () => {
  await callbacks?.close();
  await server?.stop();
});

function newClient(options: ClientOptions): Client {
  return new Client({ name: 'e2e-sdk-client', version: '1.0.0' }, options);
}

function transportFor(provider: MemoryOAuthProvider): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: provider });
}

/** The first connect: the server says 401, the SDK discovers, registers, and asks for a browser. */
async function connectUnauthorized(provider: MemoryOAuthProvider, options: ClientOptions): Promise<URL> {
  const client = newClient(options);
  await assert.rejects(client.connect(transportFor(provider)), (error: unknown) => {
    assert.ok(error instanceof UnauthorizedError, `expected UnauthorizedError, got ${String(error)}`);
    return true;
  });
  await client.close().catch(() => {});
  const url = provider.authorizationUrl;
  assert.ok(url, 'the SDK asked to send the user to the authorization endpoint');
  assert.equal(url.origin, server.url);
  assert.equal(url.pathname, '/authorize');
  assert.ok(provider.clientInformation()?.client_id, 'the SDK registered a client (RFC 7591)');
  assert.equal(provider.tokens(), undefined);
  return url;
}

async function signInAndConnect(era: 'modern' | 'legacy', options: ClientOptions) {
  const clientName = `SDK client (${era})`;
  const email = `${era}-user@example.com`;
  const provider = new MemoryOAuthProvider(callbacks.redirectUri, clientName);
  const authorizationUrl = await connectUnauthorized(provider, options);
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorizationUrl.searchParams.get('redirect_uri'), callbacks.redirectUri);

  const callback = callbacks.next();
  const seen = await authorizeInBrowser(authorizationUrl, { email, label: `sdk-${era}` });
  assert.equal(seen.signInHeading, 'Sign in');
  assert.equal(seen.consentHeading, `Allow ${clientName} to use this server as you?`);
  assert.match(seen.consentText, new RegExp(`Signed in as\\s+${email}`));
  assert.match(seen.consentText, /Access goes to\s+127\.0\.0\.1/);
  const callbackUrl = await callback;
  assert.equal(callbackUrl.href, seen.callbackUrl.href);
  assert.equal(callbackUrl.searchParams.get('state'), provider.expectedState);
  assert.equal(callbackUrl.searchParams.get('iss'), server.url, 'RFC 9207 issuer in the callback');
  assert.ok(callbackUrl.searchParams.get('code'), 'the callback carries a code');

  const transport = transportFor(provider);
  await transport.finishAuth(callbackUrl.searchParams);
  assert.ok(provider.tokens()?.access_token, 'the code was exchanged for an access token');

  const client = newClient(options);
  await client.connect(transportFor(provider));
  return { client, email };
}

describe('MCP SDK client v2 through OAuth in Chromium', { timeout: 180_000 }, () => {
  test('2026-07-28 client: sign in, allow, list tools, add 23 + 19', async () => {
    const { client, email } = await signInAndConnect('modern', MODERN);
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      assert.equal(client.getServerVersion()?.name, 'remote-mcp-server');
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      assert.ok(names.includes('add'), `tools/list: ${names.join(', ')}`);
      assert.ok(names.includes('whoami'), `tools/list: ${names.join(', ')}`);
      const sum = await client.callTool({ name: 'add', arguments: { a: 23, b: 19 } });
      assert.equal(sum.isError ?? false, false);
      assert.deepEqual(sum.content, [{ type: 'text', text: '42' }]);
      const me = await client.callTool({ name: 'whoami', arguments: {} });
      assert.match(JSON.stringify(me.content), new RegExp(email));
    } finally {
      await client.close();
    }
  });

  test('2025 client (legacy initialize): sign in, allow, list tools, add 23 + 19', async () => {
    const { client, email } = await signInAndConnect('legacy', LEGACY);
    try {
      const version = client.getNegotiatedProtocolVersion() ?? '';
      assert.match(version, /^2025-/, `negotiated ${version}`);
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      assert.ok(names.includes('add') && names.includes('whoami'), `tools/list: ${names.join(', ')}`);
      const sum = await client.callTool({ name: 'add', arguments: { a: 23, b: 19 } });
      assert.deepEqual(sum.content, [{ type: 'text', text: '42' }]);
      const me = await client.callTool({ name: 'whoami', arguments: {} });
      assert.match(JSON.stringify(me.content), new RegExp(email));
    } finally {
      await client.close();
    }
  });

  test('Deny on the consent page: the app gets access_denied and no code, and no token', async () => {
    const provider = new MemoryOAuthProvider(callbacks.redirectUri, 'SDK client (denied)');
    const authorizationUrl = await connectUnauthorized(provider, MODERN);

    const callback = callbacks.next();
    const seen = await authorizeInBrowser(authorizationUrl, {
      email: 'says-no@example.com',
      decision: 'deny',
      label: 'sdk-deny',
    });
    assert.equal(seen.consentHeading, 'Allow SDK client (denied) to use this server as you?');
    const callbackUrl = await callback;
    assert.equal(callbackUrl.searchParams.get('error'), 'access_denied');
    assert.equal(callbackUrl.searchParams.get('code'), null, 'no code after Deny');
    assert.equal(callbackUrl.searchParams.get('state'), provider.expectedState);

    // Without a code there is nothing to exchange, and the server still refuses the client.
    assert.equal(provider.tokens(), undefined);
    provider.authorizationUrl = undefined;
    const client = newClient(MODERN);
    await assert.rejects(client.connect(transportFor(provider)), UnauthorizedError);
    await client.close().catch(() => {});
    assert.ok(provider.authorizationUrl, 'the client is sent to sign in again');
    assert.equal(provider.tokens(), undefined);
  });
});
