import type * as z from 'zod';

type JsonSchemaConverter = (options?: { target?: string }) => Record<string, unknown>;

interface StandardWithJsonSchema {
  jsonSchema: { input: JsonSchemaConverter; output: JsonSchemaConverter };
}

/**
 * `schema`, with its Standard JSON Schema conversion computed once per target instead of on every
 * request. The MCP server is built per request, and the SDK converts a tool's zod schema to JSON
 * Schema for `tools/list` and for every 2026-07-28 `tools/call` (header validation); the schemas
 * are defined once at module scope, so the answer never changes. The cached results are frozen:
 * a caller that tried to change a shared copy would fail loudly instead of corrupting the next
 * request.
 */
export function cachedJsonSchema<T extends z.ZodType>(schema: T): T {
  const standard = schema['~standard'] as T['~standard'] & StandardWithJsonSchema;
  const cache = new Map<string, Record<string, unknown>>();
  const memoized =
    (io: 'input' | 'output'): JsonSchemaConverter =>
    (options) => {
      const key = `${io}:${options?.target ?? ''}`;
      let result = cache.get(key);
      if (!result) {
        result = deepFreeze(standard.jsonSchema[io](options));
        cache.set(key, result);
      }
      return result;
    };
  (schema as { '~standard': unknown })['~standard'] = {
    ...standard,
    jsonSchema: { input: memoized('input'), output: memoized('output') },
  };
  return schema;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
