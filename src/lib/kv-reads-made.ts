/**
 * `kv`, answering the next read of each key in `reads` with the value already read there (text,
 * or `null` for a key that was missing) instead of reading KV again. Each value answers one read,
 * as JSON or text as that read asks; a write or delete of the key drops it. A caller that had to
 * read a record before the OAuth library does (src/auth/access-token.ts) so pays for one read,
 * not two.
 */
export function withReadsMade(kv: KVNamespace, reads: Map<string, string | null>): KVNamespace {
  return servingReads(kv, {
    take(key) {
      if (!reads.has(key)) return undefined;
      const text = reads.get(key) ?? null;
      reads.delete(key);
      return Promise.resolve(text);
    },
    forget: (key) => reads.delete(key),
  });
}

/**
 * `kv` for one request, reading each key that `keep` accepts at most once: a later read of it in
 * the same request gets the text the first read got (parsed again for a JSON read), until the
 * request writes or deletes it. The OAuth library reads a client's record several times in one
 * request (the consent page, the token endpoint), and the token endpoint reads before it what it
 * reads next (src/auth/token-endpoint.ts); KV could not give a fresher answer a few milliseconds
 * later anyway (it is eventually consistent). Other reads pass through.
 */
export function withReadMemo(kv: KVNamespace, keep: (key: string) => boolean): KVNamespace {
  const memo = new Map<string, Promise<string | null>>();
  return servingReads(kv, {
    take(key, read) {
      if (!keep(key)) return undefined;
      let text = memo.get(key);
      if (!text) {
        text = read();
        memo.set(key, text);
        text.catch(() => memo.delete(key));
      }
      return text;
    },
    forget: (key) => memo.delete(key),
  });
}

interface ReadSource {
  /** The text to answer a read of `key` with, or undefined to let KV answer (`read` reads it). */
  take(key: string, read: () => Promise<string | null>): Promise<string | null> | undefined;
  /** The request wrote or deleted `key`. */
  forget(key: string): void;
}

/**
 * `kv` with its text and JSON reads answered by `source` where it has an answer; other reads
 * (metadata, streams, several keys) and every write go to KV, and a write or delete of a key is
 * told to `source`.
 */
function servingReads(kv: KVNamespace, source: ReadSource): KVNamespace {
  return new Proxy(kv, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'get') {
        return (key: unknown, options?: unknown) => {
          const type =
            typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type;
          const text =
            typeof key === 'string' && (type === undefined || type === 'text' || type === 'json')
              ? source.take(key, () => Reflect.apply(value, target, [key]) as Promise<string | null>)
              : undefined;
          if (!text) return Reflect.apply(value, target, [key, options]);
          return text.then((read) => (read === null || type !== 'json' ? read : JSON.parse(read)));
        };
      }
      if (property === 'put' || property === 'delete') {
        return (key: unknown, ...rest: unknown[]) => {
          if (typeof key === 'string') source.forget(key);
          return Reflect.apply(value, target, [key, ...rest]);
        };
      }
      return value.bind(target);
    },
  });
}
