/**
 * `kv`, answering the next read of each key in `reads` with the value already read there (text,
 * or `null` for a key that was missing) instead of reading KV again. Each value answers one read,
 * as JSON or text as that read asks; a write or delete of the key drops it. A caller that had to
 * read a record before the OAuth library does (src/auth/token-endpoint.ts) so pays for one read,
 * not two.
 */
export function withReadsMade(kv: KVNamespace, reads: Map<string, string | null>): KVNamespace {
  return new Proxy(kv, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'get') {
        return (key: unknown, options?: unknown) => {
          const type =
            typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type;
          if (
            typeof key !== 'string' ||
            !reads.has(key) ||
            (type !== undefined && type !== 'text' && type !== 'json')
          )
            return Reflect.apply(value, target, [key, options]);
          const text = reads.get(key) ?? null;
          reads.delete(key);
          return Promise.resolve(text === null || type !== 'json' ? text : JSON.parse(text));
        };
      }
      if (property === 'put' || property === 'delete') {
        return (key: unknown, ...rest: unknown[]) => {
          if (typeof key === 'string') reads.delete(key);
          return Reflect.apply(value, target, [key, ...rest]);
        };
      }
      return value.bind(target);
    },
  });
}
