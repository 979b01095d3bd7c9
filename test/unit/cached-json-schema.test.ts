import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { cachedJsonSchema } from '../../src/lib/cached-json-schema';

type Converter = (options?: { target?: string }) => Record<string, unknown>;
const jsonSchemaOf = (schema: z.ZodType) =>
  (schema['~standard'] as unknown as { jsonSchema: { input: Converter; output: Converter } }).jsonSchema;

describe('cachedJsonSchema', () => {
  it('gives the same JSON Schema as zod, computed once per target', () => {
    const fresh = z.object({ a: z.number().describe('first'), b: z.string().optional() });
    const expected = jsonSchemaOf(fresh).input({ target: 'draft-2020-12' });
    const cached = cachedJsonSchema(z.object({ a: z.number().describe('first'), b: z.string().optional() }));
    const first = jsonSchemaOf(cached).input({ target: 'draft-2020-12' });
    expect(first).toEqual(expected);
    expect(jsonSchemaOf(cached).input({ target: 'draft-2020-12' })).toBe(first);
    expect(jsonSchemaOf(cached).output({ target: 'draft-2020-12' })).not.toBe(first);
  });

  it('keeps validating exactly as before', () => {
    const schema = cachedJsonSchema(z.object({ a: z.number() }));
    expect(schema.safeParse({ a: 1 }).success).toBe(true);
    expect(schema.safeParse({ a: 'x' }).success).toBe(false);
  });

  it('freezes the shared result, so no request can change it for the next', () => {
    const schema = cachedJsonSchema(z.object({ a: z.number() }));
    const result = jsonSchemaOf(schema).input({ target: 'draft-2020-12' }) as {
      properties: Record<string, unknown>;
    };
    expect(() => {
      result.properties.b = { type: 'string' };
    }).toThrow(TypeError);
  });
});
