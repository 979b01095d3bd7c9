/**
 * A KV or Durable Object operation that failed (an outage, a timeout, an overloaded object). The
 * request that met it is answered 503, never 500: nothing is wrong with the request, and it can
 * be sent again.
 */
export class StorageUnavailable extends Error {
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`Storage operation failed: ${operation}`, options);
    this.name = 'StorageUnavailable';
  }
}

const KV_OPERATIONS = new Set(['get', 'getWithMetadata', 'put', 'delete', 'list']);

/**
 * `kv`, with every failed operation rethrown as {@link StorageUnavailable} (the key is not in the
 * message: keys of the OAuth library carry user and grant ids).
 */
export function withStorageErrors(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (typeof property !== 'string' || !KV_OPERATIONS.has(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          return await Reflect.apply(value, target, args);
        } catch (error) {
          throw new StorageUnavailable(`KV ${property}`, { cause: error });
        }
      };
    },
  });
}

/** Runs a Durable Object call; its failure becomes {@link StorageUnavailable}. */
export async function durableObjectCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new StorageUnavailable(operation, { cause: error });
  }
}

/** What a 503 for a storage failure says, and how soon to retry (seconds). */
export const STORAGE_UNAVAILABLE = {
  message: 'The server could not reach its storage. Try again shortly.',
  retryAfterSeconds: 5,
} as const;

/** The 503 of a protocol or MCP route: a JSON body that says what happened and to retry. */
export function storageUnavailableResponse(): Response {
  return Response.json(
    { error: 'temporarily_unavailable', error_description: STORAGE_UNAVAILABLE.message },
    {
      status: 503,
      headers: { 'Retry-After': String(STORAGE_UNAVAILABLE.retryAfterSeconds), 'Cache-Control': 'no-store' },
    },
  );
}
