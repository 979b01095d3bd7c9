import { describe, expect, it } from 'vitest';
import { register } from './support/oauth';

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
