/** Which KV operation on which key: e.g. `put grant:…`. */
export type KvOperation = 'get' | 'getWithMetadata' | 'put' | 'delete' | 'list';

/**
 * `kv`, except that the operations `fails(operation, key)` picks throw, as KV does during an
 * outage. `failed` lists what failed.
 */
export function failingKv(
  kv: KVNamespace,
  fails: (operation: KvOperation, key: string) => boolean,
): KVNamespace & { failed: string[] } {
  const failed: string[] = [];
  const proxy = new Proxy(kv, {
    get(target, property) {
      if (property === 'failed') return failed;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const first = args[0];
        const key =
          typeof first === 'string' ? first : ((first as { prefix?: string } | undefined)?.prefix ?? '');
        if (fails(property as KvOperation, key)) {
          failed.push(`${String(property)} ${key}`);
          return Promise.reject(new Error(`KV ${String(property)} failed: 503 Service Unavailable`));
        }
        return Reflect.apply(value, target, args);
      };
    },
  });
  return proxy as KVNamespace & { failed: string[] };
}

/** A Durable Object namespace whose every object call fails, as during an outage or overload. */
export function failingDurableObjects<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
): DurableObjectNamespace<T> {
  return new Proxy(namespace, {
    get(target, property) {
      if (property === 'get' || property === 'getByName') {
        return () =>
          new Proxy(
            {},
            {
              get: (_stub, method) =>
                method === 'then'
                  ? undefined
                  : () => Promise.reject(new Error('Durable Object is overloaded')),
            },
          );
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * `kv`, recording every write (`put` or `delete`) as `put <key>` / `delete <key>` in `writes`, and
 * every `get` as `get <key>` in `reads`.
 */
export function countingKv(kv: KVNamespace): KVNamespace & { writes: string[]; reads: string[] } {
  const writes: string[] = [];
  const reads: string[] = [];
  const proxy = new Proxy(kv, {
    get(target, property) {
      if (property === 'writes') return writes;
      if (property === 'reads') return reads;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'put' || property === 'delete') writes.push(`${property} ${String(args[0])}`);
        if (property === 'get') reads.push(`get ${String(args[0])}`);
        return Reflect.apply(value, target, args);
      };
    },
  });
  return proxy as KVNamespace & { writes: string[]; reads: string[] };
}
