import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { modernCall, tokenStatus } from './support/mcp';
import { connect, refreshWith, revokeWith } from './support/oauth';

/**
 * The token check of every MCP request (src/auth/access-token.ts): the token's KV record is read
 * on every call, and only the decryption of its props is kept per isolate. These tests warm that
 * path with two calls, change what storage says, and expect the very next call to follow storage.
 */
describe('access tokens: what is kept between calls', () => {
  async function whoami(token: string) {
    const { response, answer } = await modernCall(token, 'tools/call', { name: 'whoami', arguments: {} });
    return {
      status: response.status,
      user: answer.result?.structuredContent as { email?: string } | undefined,
    };
  }

  async function warmed(email: string) {
    const connection = await connect(email);
    for (let call = 0; call < 2; call++)
      expect((await whoami(connection.tokens.access_token)).status).toBe(200);
    return connection;
  }

  /** The token's KV record key (the library's schema: one record per access token). */
  async function recordKeyOf(token: string): Promise<string> {
    const [userId, grantId] = token.split(':');
    const { keys } = await env.OAUTH_KV.list({ prefix: `token:${userId}:${grantId}:` });
    expect(keys).toHaveLength(1);
    return keys[0]?.name ?? '';
  }

  it('a token revoked between two calls (RFC 7009) is refused on the next', async () => {
    const { client, tokens } = await warmed(`revoked-${crypto.randomUUID()}@example.com`);
    expect((await revokeWith(client, tokens.access_token, 'access_token')).status).toBe(200);
    expect(await tokenStatus(tokens.access_token)).toBe(401);
  });

  it('a token whose grant ended between two calls is refused on the next, and cannot be refreshed', async () => {
    const { client, tokens } = await warmed(`grant-${crypto.randomUUID()}@example.com`);
    expect((await revokeWith(client, tokens.refresh_token, 'refresh_token')).status).toBe(200);
    expect(await tokenStatus(tokens.access_token)).toBe(401);
    expect((await refreshWith(client, tokens.refresh_token)).status).toBe(400);
  });

  it('a record that expired between two calls is refused on the next', async () => {
    const { tokens } = await warmed(`expired-${crypto.randomUUID()}@example.com`);
    const key = await recordKeyOf(tokens.access_token);
    const record = (await env.OAUTH_KV.get(key, { type: 'json' })) as { expiresAt: number };
    await env.OAUTH_KV.put(key, JSON.stringify({ ...record, expiresAt: Math.floor(Date.now() / 1000) - 1 }));
    expect(await tokenStatus(tokens.access_token)).toBe(401);
  });

  it('props are not reused when the record holds other encrypted props', async () => {
    const { tokens } = await warmed(`reencrypted-${crypto.randomUUID()}@example.com`);
    const key = await recordKeyOf(tokens.access_token);
    const record = (await env.OAUTH_KV.get(key, { type: 'json' })) as { grant: { encryptedProps: string } };
    // Ciphertext that no key of this token opens: the library's decryption fails, nothing is served.
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(64))));
    await env.OAUTH_KV.put(
      key,
      JSON.stringify({ ...record, grant: { ...record.grant, encryptedProps: other } }),
    );
    const status = await tokenStatus(tokens.access_token);
    expect(status).not.toBe(200);
    expect(status).toBeGreaterThanOrEqual(400);
  });

  it("each token gets its own user's props, calls of two users interleaved", async () => {
    const ada = `ada-${crypto.randomUUID()}@example.com`;
    const grace = `grace-${crypto.randomUUID()}@example.com`;
    const a = (await warmed(ada)).tokens.access_token;
    const g = (await warmed(grace)).tokens.access_token;
    for (let round = 0; round < 3; round++) {
      expect((await whoami(a)).user?.email).toBe(ada);
      expect((await whoami(g)).user?.email).toBe(grace);
    }
  });

  it('a malformed or made-up token is refused', async () => {
    const { tokens } = await warmed(`made-up-${crypto.randomUUID()}@example.com`);
    const [userId, grantId] = tokens.access_token.split(':');
    expect(await tokenStatus(`${userId}:${grantId}:not-the-secret`)).toBe(401);
    expect(await tokenStatus(`${tokens.access_token}:extra`)).toBe(401);
    expect(await tokenStatus('no-colons')).toBe(401);
  });
});
