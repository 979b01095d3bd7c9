import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { isOversizedKvKey, MAX_KV_KEY_BYTES, withKeyLimit } from '../../src/lib/kv-key-limit';

describe('withKeyLimit', () => {
  it('measures keys in UTF-8 bytes', () => {
    expect(isOversizedKvKey('a'.repeat(MAX_KV_KEY_BYTES))).toBe(false);
    expect(isOversizedKvKey('a'.repeat(MAX_KV_KEY_BYTES + 1))).toBe(true);
    expect(isOversizedKvKey('é'.repeat(257))).toBe(true);
  });

  it('finds nothing under an oversized key, where plain KV throws', async () => {
    const key = `token:${'a'.repeat(600)}`;
    await expect(env.OAUTH_KV.get(key)).rejects.toThrow();
    const kv = withKeyLimit(env.OAUTH_KV);
    expect(await kv.get(key)).toBeNull();
    expect(await kv.get(key, { type: 'json' })).toBeNull();
    expect(await kv.getWithMetadata(key)).toMatchObject({ value: null, metadata: null });
  });

  it('reads, writes, lists and deletes ordinary keys as KV does', async () => {
    const kv = withKeyLimit(env.OAUTH_KV);
    await kv.put('test:kv-key-limit', '{"a":1}', { metadata: { m: 2 } });
    expect(await kv.get('test:kv-key-limit', 'json')).toEqual({ a: 1 });
    expect(await kv.getWithMetadata('test:kv-key-limit')).toMatchObject({
      value: '{"a":1}',
      metadata: { m: 2 },
    });
    expect((await kv.list({ prefix: 'test:kv-key-limit' })).keys.map((key) => key.name)).toEqual([
      'test:kv-key-limit',
    ]);
    await kv.delete('test:kv-key-limit');
    expect(await env.OAUTH_KV.get('test:kv-key-limit')).toBeNull();
  });
});
