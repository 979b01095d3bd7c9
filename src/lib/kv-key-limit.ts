/** The longest key Workers KV accepts, in UTF-8 bytes. */
export const MAX_KV_KEY_BYTES = 512;

const encoder = new TextEncoder();

/** Whether `key` is a single key too long for KV to store, so it cannot be in the namespace. */
export function isOversizedKvKey(key: unknown): boolean {
  return typeof key === 'string' && encoder.encode(key).length > MAX_KV_KEY_BYTES;
}

/**
 * `kv`, except that reading a key longer than KV allows finds nothing instead of throwing. The
 * OAuth library builds KV keys from what a client sends (a client id, the parts of a token or
 * code); an oversized one must be answered as the unknown credential it is, not as a 500.
 */
export function withKeyLimit(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, property) {
      if (property === 'get') {
        return (key: unknown, ...rest: unknown[]) =>
          isOversizedKvKey(key) ? Promise.resolve(null) : Reflect.apply(target.get, target, [key, ...rest]);
      }
      if (property === 'getWithMetadata') {
        return (key: unknown, ...rest: unknown[]) =>
          isOversizedKvKey(key)
            ? Promise.resolve({ value: null, metadata: null, cacheStatus: null })
            : Reflect.apply(target.getWithMetadata, target, [key, ...rest]);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
