import { describe, expect, it } from 'vitest';
import { ORIGIN, send } from './support/browser';
import { accessToken } from './support/oauth';

describe('discovery metadata', () => {
  it.each([
    ['', ORIGIN],
    ['/mcp', `${ORIGIN}/mcp`],
    ['/sse', `${ORIGIN}/sse`],
  ])(
    'the metadata at …/oauth-protected-resource%s names exactly %s, with every scope a user needs (RFC 9728 §3.3)',
    async (path, resource) => {
      const response = await send(`/.well-known/oauth-protected-resource${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource,
        authorization_servers: [ORIGIN],
        scopes_supported: ['mcp', 'notes:read', 'notes:write'],
        bearer_methods_supported: ['header'],
        resource_name: 'Remote MCP server',
      });
    },
  );

  it.each([
    '/.well-known/oauth-protected-resource/other',
    '/.well-known/oauth-protected-resource/mcp/more',
    '/.well-known/oauth-protected-resource/sse/message',
  ])('no metadata for a resource this server does not have: %s is 404', async (path) => {
    expect((await send(path)).status).toBe(404);
  });

  it('uses the origin the request came to, so each host is its own resource', async () => {
    const response = await send('/.well-known/oauth-protected-resource', {}, 'https://mcp.example.com');
    const metadata = (await response.json()) as { resource: string; authorization_servers: string[] };
    expect(metadata.resource).toBe('https://mcp.example.com');
    expect(metadata.authorization_servers).toEqual(['https://mcp.example.com']);
  });

  it('describes the authorization server: S256 only, registration, revocation, iss, CIMD (RFC 8414)', async () => {
    const response = await send('/.well-known/oauth-authorization-server');
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      issuer: ORIGIN,
      authorization_endpoint: `${ORIGIN}/authorize`,
      token_endpoint: `${ORIGIN}/oauth/token`,
      registration_endpoint: `${ORIGIN}/oauth/register`,
      revocation_endpoint: `${ORIGIN}/oauth/token`,
      scopes_supported: ['mcp', 'notes:read', 'notes:write'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
  });
});

describe('MCP routes without a valid token', () => {
  const challenge = `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp"`;

  it.each([
    ['POST', '/mcp', '/mcp'],
    ['GET', '/sse', '/sse'],
    ['POST', '/sse', '/sse'],
    ['POST', '/sse/message?sessionId=0123456789abcdef0123456789abcdef', '/sse'],
  ])(
    '%s %s answers 401 with a challenge naming its own resource metadata and every scope a user needs',
    async (method, path, endpoint) => {
      const response = await send(path, {
        method,
        ...(method === 'POST' && { headers: { 'Content-Type': 'application/json' }, body: '{}' }),
      });
      expect(response.status).toBe(401);
      const header = response.headers.get('WWW-Authenticate') ?? '';
      expect(header).toMatch(/^Bearer /);
      expect(header).toContain(
        `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource${endpoint}"`,
      );
      expect(header).toContain('scope="mcp notes:read notes:write"');
    },
  );

  it.each([
    ['garbage', 'Bearer garbage'],
    ['token-shaped garbage', 'Bearer aaaa:bbbb:cccc'],
    ['oversized token-shaped garbage', `Bearer ${'a'.repeat(20_000)}:${'b'.repeat(20_000)}:c`],
    ['oversized garbage', `Bearer ${'x'.repeat(100_000)}`],
    ['a lowercase scheme with garbage', 'bearer garbage'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
  ])('%s gets 401 invalid, never a 5xx', async (_name, authorization) => {
    const response = await send('/mcp', {
      method: 'POST',
      headers: { Authorization: authorization, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toContain(challenge);
  });

  it('a token issued for this origin is refused at another origin (RFC 8707 audience)', async () => {
    const token = await accessToken();
    const response = await send(
      '/mcp',
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{}',
      },
      'http://127.0.0.1',
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toContain(
      'resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"',
    );
  });
});
