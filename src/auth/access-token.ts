import type { OAuthAuthorizationServer, Token, TokenSummary } from '@cloudflare/workers-oauth-provider';
import { sha256Hex } from '../lib/base64url';
import { BoundedMap } from '../lib/bounded-map';
import { withReadsMade } from '../lib/kv-reads-made';
import type { Props } from './props';

/**
 * An access token, read for one MCP request. Every request reads the token's KV record, so a
 * revoked token, grant or app (the record is deleted) or an expired one is refused on its very
 * next request. What is kept per isolate is only work whose inputs have not changed: the token's
 * hash (its record's key) and its props as the library decrypted them, reused only while the
 * record read now still holds the same wrapped key and encrypted props.
 *
 * The library's storage schema (1.x; the record is its exported `Token` type), which
 * src/auth/token-endpoint.ts and src/mcp/sse-session.ts rely on too: an access token
 * `<userId>:<grantId>:<secret>` is stored at `token:<userId>:<grantId>:<hex SHA-256 of the token>`. Were it to change, no record would be
 * found and every token refused, which every MCP test would show; it never lets a token through.
 *
 * Upstream, the library's `unwrapToken` could do this itself (docs/performance.md).
 */

interface Opened {
  /** The token's record key. */
  key: string;
  /** The record's ciphertexts the props were decrypted from. */
  wrappedEncryptionKey: string;
  encryptedProps: string;
  props: Props;
}

/** Tokens used lately in this isolate, by token (memory only, never logged or stored). */
const opened = new BoundedMap<string, Opened>(2048);

async function recordKey(userId: string, grantId: string, token: string): Promise<string> {
  return `token:${userId}:${grantId}:${await sha256Hex(token)}`;
}

/**
 * The token's summary as the library's `unwrapToken` gives it, or `null` for a token that is
 * malformed, unknown, revoked or expired. One KV read per call.
 */
export async function readAccessToken(
  authorizationServer: OAuthAuthorizationServer<Env>,
  env: Env,
  token: string,
): Promise<TokenSummary<Props> | null> {
  const parts = token.split(':');
  if (parts.length !== 3) return null;
  const [userId = '', grantId = ''] = parts;
  const known = opened.get(token);
  const key = known?.key ?? (await recordKey(userId, grantId, token));
  const text = await env.OAUTH_KV.get(key);
  if (text === null) {
    opened.delete(token);
    return null;
  }
  const record = JSON.parse(text) as Token;
  if (record.expiresAt < Math.floor(Date.now() / 1000)) {
    opened.delete(token);
    return null;
  }
  if (
    known &&
    known.wrappedEncryptionKey === record.wrappedEncryptionKey &&
    known.encryptedProps === record.grant.encryptedProps
  ) {
    return summaryOf(record, known.props);
  }
  // First use in this isolate (or a record that changed): the library decrypts, served the
  // record just read instead of reading it again.
  const reads = new Map([[key, text]]);
  const summary = await authorizationServer
    .getOAuthApi({ ...env, OAUTH_KV: withReadsMade(env.OAUTH_KV, reads) })
    .unwrapToken<Props>(token);
  if (!summary) return null;
  opened.set(token, {
    key,
    wrappedEncryptionKey: record.wrappedEncryptionKey,
    encryptedProps: record.grant.encryptedProps,
    props: summary.grant.props,
  });
  return summary;
}

/** What the library's `unwrapToken` returns for `record`, with props it decrypted before. */
function summaryOf(record: Token, props: Props): TokenSummary<Props> {
  return {
    id: record.id,
    grantId: record.grantId,
    userId: record.userId,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    audience: record.audience,
    scope: record.scope || record.grant.scope,
    grant: { clientId: record.grant.clientId, scope: record.grant.scope, props },
  };
}
