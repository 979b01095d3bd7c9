import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { Browser, ORIGIN } from './support/browser';
import { mcpPost, modernRequest, tokenStatus } from './support/mcp';
import {
  authorizePath,
  connect,
  consentPage,
  decide,
  exchangeCode,
  pkce,
  redirectOf,
  refreshWith,
  registerClient,
  signIn,
  tokenRequest,
} from './support/oauth';

/**
 * Resource indicators as clients send them (RFC 8707; MCP authorization, "Resource Parameter
 * Implementation"): the origin (older SDK clients, the root metadata), or the exact MCP URL
 * (Claude, ChatGPT, VS Code: `https://host/mcp`; a client configured with the SSE URL:
 * `https://host/sse`). Each is accepted, and the token is bound to what was asked for.
 */
describe('resource indicators', () => {
  it.each([
    ['the origin', ORIGIN],
    ['the MCP URL', `${ORIGIN}/mcp`],
    ['the SSE URL', `${ORIGIN}/sse`],
  ])('%s is accepted at authorize, token and refresh, and the token names it', async (_name, resource) => {
    const { client, tokens } = await connect(`resource-${crypto.randomUUID()}@example.com`, { resource });
    expect(tokens.resource).toBe(resource);
    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: client.client_id,
      resource,
    });
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as { resource: string }).resource).toBe(resource);
  });

  it('a token for the whole server (the origin) is accepted on /mcp and /sse', async () => {
    const { tokens } = await connect(`origin-${crypto.randomUUID()}@example.com`, { resource: ORIGIN });
    expect(await tokenStatus(tokens.access_token)).toBe(200);
    expect(await tokenStatus(tokens.access_token, { path: '/sse' })).toBe(200);
  });

  it('a token for /mcp is accepted on /mcp only: /sse answers 401 naming its own metadata', async () => {
    const { tokens } = await connect(`mcp-${crypto.randomUUID()}@example.com`, { resource: `${ORIGIN}/mcp` });
    expect(await tokenStatus(tokens.access_token)).toBe(200);
    const { body, headers } = modernRequest('tools/list');
    const refused = await mcpPost(body, { token: tokens.access_token, path: '/sse', headers });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('WWW-Authenticate')).toContain(
      `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/sse"`,
    );
    expect(
      (
        await mcpPost(body, {
          token: tokens.access_token,
          path: '/sse/message?sessionId=0123456789abcdef0123456789abcdef',
          headers,
        })
      ).status,
    ).toBe(401);
  });

  it('a token for /sse is accepted on /sse and /sse/message, not on /mcp', async () => {
    const { tokens } = await connect(`sse-${crypto.randomUUID()}@example.com`, { resource: `${ORIGIN}/sse` });
    expect(await tokenStatus(tokens.access_token, { path: '/sse' })).toBe(200);
    // An unknown session, not an unknown token: the token was accepted at /sse/message.
    const { body, headers } = modernRequest('tools/list');
    const message = await mcpPost(body, {
      token: tokens.access_token,
      path: '/sse/message?sessionId=0123456789abcdef0123456789abcdef',
      headers,
    });
    expect(message.status).toBe(404);
    expect(await tokenStatus(tokens.access_token)).toBe(401);
  });

  it('a refresh cannot move a grant to another resource (invalid_target)', async () => {
    const { client, tokens } = await connect(`move-${crypto.randomUUID()}@example.com`, {
      resource: `${ORIGIN}/mcp`,
    });
    for (const resource of [ORIGIN, `${ORIGIN}/sse`]) {
      const moved = await tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: client.client_id,
        resource,
      });
      expect(moved.status).toBe(400);
      expect(((await moved.json()) as { error: string }).error).toBe('invalid_target');
    }
    // Without `resource`, the grant's own is kept.
    const kept = await refreshWith(client, tokens.refresh_token);
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as { resource: string }).resource).toBe(`${ORIGIN}/mcp`);
  });

  it('a code for /mcp cannot be redeemed for another resource', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { verifier, challenge } = await pkce();
    const path = authorizePath(client, challenge, { resource: `${ORIGIN}/mcp` });
    await signIn(browser, path, `code-${crypto.randomUUID()}@example.com`);
    const code = redirectOf(
      await decide(browser, await consentPage(browser, path), 'approve'),
    ).searchParams.get('code');
    const response = await exchangeCode(client, code ?? '', verifier, undefined, `${ORIGIN}/sse`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_target');
  });

  it.each([
    ['another path', `${ORIGIN}/other`],
    ['a path below the endpoint', `${ORIGIN}/mcp/tools`],
    ['another host', 'https://elsewhere.example/mcp'],
    ['not a URL', 'mcp'],
  ])('a resource this server does not serve (%s) is refused with invalid_target', async (_name, resource) => {
    const client = await registerClient();
    const { challenge } = await pkce();
    const response = await new Browser().get(authorizePath(client, challenge, { resource }));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('Location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_target');
  });

  /**
   * The audience a token record in KV carries, as the library stored it, is what decides
   * (src/oauth.ts reads the record once and checks it): edited here to what an older or a
   * foreign record would hold.
   */
  describe('the audience stored with a token', () => {
    async function withStoredAudience(resource: string, audience: string | string[] | undefined) {
      const { tokens } = await connect(`stored-${crypto.randomUUID()}@example.com`, { resource });
      const token = tokens.access_token;
      const [userId, grantId] = token.split(':');
      const { keys } = await env.OAUTH_KV.list({ prefix: `token:${userId}:${grantId}:` });
      expect(keys).toHaveLength(1);
      const key = keys[0]?.name ?? '';
      const record = (await env.OAUTH_KV.get(key, { type: 'json' })) as Record<string, unknown>;
      if (audience === undefined) delete record.audience;
      else record.audience = audience;
      await env.OAUTH_KV.put(key, JSON.stringify(record));
      return token;
    }

    it('none (a token from before resources) counts as the whole server: accepted on /mcp and /sse', async () => {
      const token = await withStoredAudience(ORIGIN, undefined);
      expect(await tokenStatus(token)).toBe(200);
      expect(await tokenStatus(token, { path: '/sse' })).toBe(200);
    });

    it('a list accepts where one of its entries would', async () => {
      const token = await withStoredAudience(`${ORIGIN}/sse`, [
        'https://elsewhere.example/mcp',
        `${ORIGIN}/mcp`,
      ]);
      expect(await tokenStatus(token)).toBe(200);
      expect(await tokenStatus(token, { path: '/sse' })).toBe(401);
    });

    it.each([
      ['another host', 'https://elsewhere.example'],
      ['another path of this origin', `${ORIGIN}/other`],
      ['the MCP URL with a trailing slash', `${ORIGIN}/mcp/`],
      ['an empty list', []],
    ])('%s is refused on every MCP route', async (_name, audience) => {
      const token = await withStoredAudience(ORIGIN, audience);
      expect(await tokenStatus(token)).toBe(401);
      expect(await tokenStatus(token, { path: '/sse' })).toBe(401);
    });
  });
});
