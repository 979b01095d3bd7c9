import { describe, expect, it } from 'vitest';
import { CLIENT_PROFILES } from '../scripts/doctor/profiles';
import { REGISTRATION_LIMITS } from '../src/auth/registration';
import { send } from './support/browser';
import { countingKv } from './support/faults';
import { REDIRECT_URI, register } from './support/oauth';
import { bindings, workerWith } from './support/worker';

/** A registration as a public MCP client sends it, with `overrides`. */
function registration(overrides: Record<string, unknown>) {
  return register({
    client_name: 'Some app',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...overrides,
  });
}

/** A 400 with an RFC 7591 §3.2.2 error body, and no client. */
async function expectRefused(response: Response, description?: RegExp) {
  expect(response.status).toBe(400);
  const body = (await response.json()) as Record<string, unknown>;
  expect(['invalid_redirect_uri', 'invalid_client_metadata']).toContain(body.error);
  expect(typeof body.error_description).toBe('string');
  if (description) expect(body.error_description).toMatch(description);
  expect(body).not.toHaveProperty('client_id');
}

describe('dynamic client registration policy', () => {
  it.each([
    'https://app.example/callback',
    'http://localhost:6274/oauth/callback',
    'http://127.0.0.1:33418/callback',
    'http://[::1]:8080/callback',
  ])('accepts %s', async (uri) => {
    const response = await registration({ redirect_uris: [uri] });
    expect(response.status).toBe(201);
    const client = (await response.json()) as Record<string, unknown>;
    expect(client.client_id).toEqual(expect.any(String));
    expect(client.redirect_uris).toEqual([uri]);
    expect(client.token_endpoint_auth_method).toBe('none');
    expect(client).not.toHaveProperty('client_secret');
  });

  it.each([
    ['remote http', 'http://evil.example/callback'],
    ['remote http, upper-case scheme', 'HTTP://evil.example/callback'],
    ['a host that only starts like localhost', 'http://localhost.evil.example/callback'],
    ['javascript:', 'javascript:alert(1)'],
    ['javascript: in mixed case', 'JaVaScRiPt:alert(1)'],
    ['javascript: padded with a space', ' javascript:alert(1)'],
    ['javascript: padded with a tab', '\tjavascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['data: in upper case', 'DATA:text/html,hi'],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['file:', 'file:///etc/passwd'],
    ['a fragment', 'https://app.example/callback#token'],
    ['userinfo', 'https://user:secret@app.example/callback'],
    ['a trailing space', 'https://app.example/callback '],
    ['a newline', 'https://app.example/call\nback'],
    ['not a URI', 'callback'],
  ])('refuses %s', async (_name, uri) => {
    await expectRefused(await registration({ redirect_uris: [uri] }));
  });

  it('refuses a list in which one redirect URI of several is bad', async () => {
    await expectRefused(
      await registration({ redirect_uris: ['https://app.example/callback', 'javascript:alert(1)'] }),
    );
  });

  it('refuses a registration without redirect URIs', async () => {
    await expectRefused(await registration({ redirect_uris: [] }));
  });

  it('accepts 10 redirect URIs and refuses 11', async () => {
    const uris = (count: number) => Array.from({ length: count }, (_, i) => `https://app.example/cb/${i}`);
    expect((await registration({ redirect_uris: uris(10) })).status).toBe(201);
    await expectRefused(await registration({ redirect_uris: uris(11) }), /At most 10 redirect URIs/);
  });

  it('accepts a client_name of 200 characters and refuses 201', async () => {
    const redirect_uris = ['https://app.example/callback'];
    expect((await registration({ redirect_uris, client_name: 'n'.repeat(200) })).status).toBe(201);
    await expectRefused(
      await registration({ redirect_uris, client_name: 'n'.repeat(201) }),
      /client_name must be text of at most 200 characters/,
    );
  });

  it('refuses a redirect URI longer than 2048 characters', async () => {
    await expectRefused(
      await registration({ redirect_uris: [`https://app.example/${'a'.repeat(2048)}`] }),
      /too long/,
    );
  });
});

/** POST /oauth/register with `body` as it is, through a Worker whose KV writes are counted. */
async function registerCounted(body: string | ReadableStream<Uint8Array>, headers: HeadersInit = {}) {
  const kv = countingKv(bindings.OAUTH_KV);
  const response = await send(
    '/oauth/register',
    { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body },
    undefined,
    workerWith({ OAUTH_KV: kv }),
  );
  return { response, writes: kv.writes };
}

/** A public client's registration padded with unknown fields to exactly `bytes` bytes of JSON. */
function registrationOf(bytes: number): string {
  const metadata: Record<string, unknown> = {
    client_name: 'Padded app',
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'none',
  };
  for (let index = 0; ; index++) {
    const missing = bytes - JSON.stringify(metadata).length;
    if (missing === 0) return JSON.stringify(metadata);
    const overhead = `,"pad${index}":""`.length;
    if (missing < overhead) throw new Error(`cannot pad to ${bytes} bytes`);
    // Leave at least one whole field's overhead for the next one, unless this one ends it.
    const length = missing - overhead <= 1_500 ? missing - overhead : 1_000;
    metadata[`pad${index}`] = 'p'.repeat(length);
  }
}

describe('registration size: every stored field is bounded, and the body', () => {
  it('the biggest registration a real client sends is far below the limit', () => {
    const sizes = CLIENT_PROFILES.flatMap((client) =>
      client.registration.kind === 'dcr' ? [JSON.stringify(client.registration.body(65535)).length] : [],
    );
    expect(Math.max(...sizes)).toBeLessThan(REGISTRATION_LIMITS.body / 10);
  });

  it('accepts a body of 8 KiB and refuses one byte more, storing nothing', async () => {
    expect(REGISTRATION_LIMITS.body).toBe(8192);
    const accepted = await registerCounted(registrationOf(8192));
    expect(accepted.response.status).toBe(201);
    const refused = await registerCounted(registrationOf(8193));
    expect(refused.response.status).toBe(400);
    expect(await refused.response.json()).toEqual({
      error: 'invalid_client_metadata',
      error_description: expect.stringMatching(
        /^A client registration is at most 8192 bytes; this one is 8193, \d+ of them in pad\d\.$/,
      ),
    });
    expect(refused.writes).toEqual([]);
  });

  it('a 900 KB registration is refused unread and stores nothing', async () => {
    const contacts = Array.from({ length: 900 }, (_, index) => `${index}${'c'.repeat(990)}@example.com`);
    const body = JSON.stringify({
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      contacts,
    });
    expect(body.length).toBeGreaterThan(900_000);
    const { response, writes } = await registerCounted(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'A client registration is at most 8192 bytes; this one is larger.',
    });
    expect(writes).toEqual([]);
  });

  it('a streamed body without Content-Length is counted by its bytes as they are read', async () => {
    const body = registrationOf(20_000);
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 4096)
          controller.enqueue(bytes.slice(offset, offset + 4096));
        controller.close();
      },
    });
    const { response, writes } = await registerCounted(stream);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(
      /^A client registration is at most 8192 bytes; this one is 20000, /,
    );
    expect(writes).toEqual([]);
  });

  it.each([
    [
      'contacts',
      { contacts: Array.from({ length: 6 }, (_, i) => `admin${i}@example.com`) },
      /^contacts must list at most 5 addresses/,
    ],
    [
      'a contact',
      { contacts: [`${'a'.repeat(243)}@example.com`] },
      /^contacts must list at most 5 addresses of at most 254 characters/,
    ],
    [
      'logo_uri',
      { logo_uri: `https://app.example/${'l'.repeat(2030)}` },
      /^logo_uri must be a URI of at most 2048 characters/,
    ],
    ['client_uri', { client_uri: `https://app.example/${'c'.repeat(2030)}` }, /^client_uri must be a URI/],
    ['policy_uri', { policy_uri: `https://app.example/${'p'.repeat(2030)}` }, /^policy_uri must be a URI/],
    ['tos_uri', { tos_uri: `https://app.example/${'t'.repeat(2030)}` }, /^tos_uri must be a URI/],
    ['jwks_uri', { jwks_uri: `https://app.example/${'j'.repeat(2030)}` }, /^jwks_uri must be a URI/],
    [
      'a localized client_name',
      { 'client_name#fr': 'n'.repeat(201) },
      /^client_name#fr must be text of at most 200 characters/,
    ],
    [
      'a localized logo_uri',
      { 'logo_uri#fr': `https://app.example/${'l'.repeat(2030)}` },
      /^logo_uri#fr must be a URI/,
    ],
    [
      'a long language tag',
      { [`client_name#${'x'.repeat(60)}`]: 'App' },
      /^A field name is at most 64 characters/,
    ],
    [
      'grant_types',
      { grant_types: Array.from({ length: 11 }, () => 'authorization_code') },
      /^grant_types must list at most 10 values/,
    ],
    [
      'an unknown field',
      { software_statement: 's'.repeat(3000) },
      /^software_statement is 3002 bytes as JSON; at most 2048/,
    ],
  ])('refuses %s over its bound, naming the field, and stores nothing', async (_name, field, message) => {
    const body = JSON.stringify({
      client_name: 'Some app',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      ...field,
    });
    expect(body.length).toBeLessThanOrEqual(REGISTRATION_LIMITS.body);
    const { response, writes } = await registerCounted(body);
    await expectRefused(response, message);
    expect(writes).toEqual([]);
  });

  it('accepts each field at its bound', async () => {
    const response = await registration({
      redirect_uris: [REDIRECT_URI],
      contacts: Array.from({ length: 5 }, (_, i) => `admin${i}@example.com`),
      logo_uri: `https://app.example/${'l'.repeat(2048 - 20)}`,
      'client_name#fr': 'n'.repeat(200),
      software_id: 'a-client',
    });
    expect(response.status).toBe(201);
  });
});
