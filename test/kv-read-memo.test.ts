import { describe, expect, it } from 'vitest';
import { withReadMemo } from '../src/lib/kv-reads-made';
import { countingKv } from './support/faults';
import { bindings } from './support/worker';

/** One request's view of KV in which `client:` records are read once (src/index.ts). */
describe('withReadMemo', () => {
  const isClient = (key: string) => key.startsWith('client:');

  it('reads a kept key once, and gives each JSON read its own copy', async () => {
    const key = `client:memo-${crypto.randomUUID()}`;
    await bindings.OAUTH_KV.put(key, JSON.stringify({ clientName: 'Memo app' }));
    const inner = countingKv(bindings.OAUTH_KV);
    const kv = withReadMemo(inner, isClient);
    const first = await kv.get<{ clientName: string }>(key, { type: 'json' });
    const second = await kv.get<{ clientName: string }>(key, 'json');
    expect(second).toEqual({ clientName: 'Memo app' });
    expect(second).not.toBe(first);
    expect(await kv.get(key)).toBe('{"clientName":"Memo app"}');
    expect(inner.reads).toEqual([`get ${key}`]);
  });

  it('reads again after the request writes or deletes the key', async () => {
    const key = `client:memo-${crypto.randomUUID()}`;
    const inner = countingKv(bindings.OAUTH_KV);
    const kv = withReadMemo(inner, isClient);
    expect(await kv.get(key)).toBeNull();
    await kv.put(key, 'one');
    expect(await kv.get(key)).toBe('one');
    await kv.delete(key);
    expect(await kv.get(key)).toBeNull();
    expect(inner.reads).toHaveLength(3);
  });

  it('passes other keys through, each read to KV', async () => {
    const key = `grant:memo-${crypto.randomUUID()}`;
    const inner = countingKv(bindings.OAUTH_KV);
    const kv = withReadMemo(inner, isClient);
    await kv.get(key);
    await kv.get(key);
    expect(inner.reads).toEqual([`get ${key}`, `get ${key}`]);
  });

  it('does not keep a failed read', async () => {
    let calls = 0;
    const failingOnce = new Proxy(bindings.OAUTH_KV, {
      get(target, property) {
        if (property !== 'get') return Reflect.get(target, property, target);
        return (key: string) => {
          calls += 1;
          return calls === 1 ? Promise.reject(new Error('KV is down')) : target.get(key);
        };
      },
    });
    const kv = withReadMemo(failingOnce, isClient);
    const key = `client:memo-${crypto.randomUUID()}`;
    await expect(kv.get(key)).rejects.toThrow('KV is down');
    expect(await kv.get(key)).toBeNull();
    expect(calls).toBe(2);
  });
});
