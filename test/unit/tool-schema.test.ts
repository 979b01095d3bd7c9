import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import { callTool } from '../../src/mcp/tool-call';
import { defineTool } from '../../src/tools/define-tool';
import { jsonSchema, standardSchemaOf, ToolSchemaError } from '../../src/tools/support/schema';
import { contextFor, newUser } from '../support/tools';

/** A schema with the 2020-12 vocabulary zod cannot write: each keyword is checked below. */
function vocabulary() {
  return jsonSchema({
    type: 'object',
    $defs: {
      point: {
        $anchor: 'point',
        type: 'array',
        prefixItems: [{ type: 'number' }, { type: 'number' }],
        items: false,
      },
    },
    properties: {
      kind: { enum: ['circle', 'square'] },
      center: { $ref: '#point' },
      radius: { type: 'number', exclusiveMinimum: 0 },
      side: { type: 'number' },
      label: { type: 'string', not: { const: 'forbidden' } },
      creditCard: { type: 'string' },
    },
    required: ['kind', 'center'],
    oneOf: [{ required: ['radius'] }, { required: ['side'] }],
    if: { properties: { kind: { const: 'circle' } } },
    // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword (if/then/else), never awaited
    then: { required: ['radius'] },
    dependentSchemas: { creditCard: { required: ['label'] } },
    unevaluatedProperties: false,
  });
}

async function issuesOf(schema: ReturnType<typeof standardSchemaOf>, value: unknown): Promise<string[]> {
  const result = await schema['~standard'].validate(value);
  return (result.issues ?? []).map((issue) => issue.message);
}

describe('a JSON Schema tool schema', () => {
  it('is listed as the very object written, and frozen so no request can change it', () => {
    const written = vocabulary();
    const copy = structuredClone(written);
    const standard = standardSchemaOf(written, 'input');
    const listed = standard['~standard'].jsonSchema.input({ target: 'draft-2020-12' });
    expect(listed).toBe(written);
    expect(JSON.stringify(listed)).toBe(JSON.stringify(copy));
    expect(Object.isFrozen((written.$defs as { point: object }).point)).toBe(true);
    expect(standardSchemaOf(written, 'input')).toBe(standard);
  });

  it('is validated with every 2020-12 keyword it uses', async () => {
    const schema = standardSchemaOf(vocabulary(), 'input');
    const circle = { kind: 'circle', center: [0, 0], radius: 2 };
    expect(await issuesOf(schema, circle)).toEqual([]);
    expect(
      await issuesOf(schema, { kind: 'square', center: [1, 2], side: 3, creditCard: 'x', label: 'ok' }),
    ).toEqual([]);
    const refused: Array<[string, unknown]> = [
      ['$anchor $ref + prefixItems: a point is two numbers', { ...circle, center: [0, 'a'] }],
      ['items: false after prefixItems', { ...circle, center: [0, 0, 0] }],
      ['oneOf: not both', { ...circle, side: 1 }],
      ['if/then: a circle needs a radius', { kind: 'circle', center: [0, 0], side: 1 }],
      ['not', { ...circle, label: 'forbidden' }],
      ['dependentSchemas', { ...circle, creditCard: '4111' }],
      ['unevaluatedProperties: false', { ...circle, colour: 'red' }],
      ['exclusiveMinimum', { ...circle, radius: 0 }],
      ['required', { kind: 'circle', radius: 1 }],
    ];
    for (const [keyword, value] of refused) {
      expect((await issuesOf(schema, value)).length, keyword).toBeGreaterThan(0);
    }
  });

  it('follows the dialect its $schema names, and refuses one the validator does not know', async () => {
    const draft7 = standardSchemaOf(
      jsonSchema({
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { n: { type: 'integer' } },
        required: ['n'],
      }),
      'input',
    );
    expect(await issuesOf(draft7, { n: 1 })).toEqual([]);
    expect(await issuesOf(draft7, { n: 1.5 })).not.toEqual([]);
    expect(() =>
      standardSchemaOf(jsonSchema({ $schema: 'https://example.com/my-dialect', type: 'object' }), 'input'),
    ).toThrow();
  });

  it('types the handler input with jsonSchema<T>, and as a record without it', () => {
    const typed = defineTool({
      name: 'typed',
      title: 'Typed',
      description: 'A JSON Schema tool.',
      inputSchema: jsonSchema<{ query: string; limit?: number }>({
        type: 'object',
        properties: { query: { type: 'string' }, limit: { type: 'integer' } },
        required: ['query'],
      }),
      outputSchema: z.object({ found: z.number() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      scope: 'mcp',
      async handler(input) {
        expectTypeOf(input).toEqualTypeOf<{ query: string; limit?: number }>();
        return { structured: { found: input.query.length }, text: 'ok' };
      },
    });
    expectTypeOf(typed.handler).parameter(0).toEqualTypeOf<{ query: string; limit?: number }>();
    const untyped = defineTool({
      ...typed,
      inputSchema: { type: 'object', properties: { query: { type: 'string' } } },
      async handler(input) {
        expectTypeOf(input).toEqualTypeOf<Record<string, unknown>>();
        return { structured: { found: 0 }, text: 'ok' };
      },
    });
    expect(untyped.name).toBe('typed');
  });

  it('runs behind the error boundary like a zod tool, with a JSON Schema output', async () => {
    const tool = defineTool({
      name: 'echo_json',
      title: 'Echo',
      description: 'Echoes a word.',
      inputSchema: jsonSchema<{ word: string }>({
        type: 'object',
        properties: { word: { type: 'string' } },
        required: ['word'],
      }),
      outputSchema: jsonSchema<{ echoed: string }>({
        type: 'object',
        properties: { echoed: { type: 'string' } },
        required: ['echoed'],
      }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      scope: 'mcp',
      async handler({ word }) {
        return { structured: { echoed: word }, text: word };
      },
    });
    const result = await callTool(tool as never, { word: 'hi' }, contextFor(newUser()));
    expect(result).toEqual({ content: [{ type: 'text', text: 'hi' }], structuredContent: { echoed: 'hi' } });
    const output = standardSchemaOf(tool.outputSchema, 'output');
    expect(await issuesOf(output, { echoed: 1 })).not.toEqual([]);
  });

  it.each([
    ['a root that is not an object', { type: 'array' }, 'must describe an object'],
    ['no type at the root', { properties: {} }, 'must describe an object'],
    [
      'a reference to a network URI',
      { type: 'object', properties: { a: { $ref: 'https://example.com/s.json' } } },
      '$ref',
    ],
    ['a pointer to nothing', { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }, '$ref'],
    ['an anchor never declared', { type: 'object', properties: { a: { $ref: '#nowhere' } } }, '$ref'],
  ])('refuses an input schema with %s', (_case, schema, message) => {
    expect(() => standardSchemaOf(jsonSchema(schema), 'input')).toThrow(ToolSchemaError);
    expect(() => standardSchemaOf(jsonSchema(structuredClone(schema)), 'input')).toThrow(message);
  });

  it('accepts any root for an output schema (SEP-2106)', async () => {
    const output = standardSchemaOf(jsonSchema({ type: 'array', items: { type: 'string' } }), 'output');
    expect(await issuesOf(output, ['a'])).toEqual([]);
  });
});

describe('x-mcp-header declarations (SEP-2243)', () => {
  const withProperty = (property: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    jsonSchema({ type: 'object', properties: { p: property }, ...extra });

  it('accepts string, integer and boolean properties reached through properties, nested too', () => {
    for (const type of ['string', 'integer', 'boolean']) {
      expect(() => standardSchemaOf(withProperty({ type, 'x-mcp-header': 'P' }), 'input')).not.toThrow();
    }
    const nested = jsonSchema({
      type: 'object',
      properties: {
        outer: { type: 'object', properties: { inner: { type: 'string', 'x-mcp-header': 'Inner' } } },
      },
    });
    expect(() => standardSchemaOf(nested, 'input')).not.toThrow();
  });

  it('reads them from a zod schema too (.meta)', () => {
    const schema = z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }) });
    const listed = standardSchemaOf(schema, 'input')['~standard'].jsonSchema.input({
      target: 'draft-2020-12',
    });
    expect(listed.properties).toEqual({ region: { type: 'string', 'x-mcp-header': 'Region' } });
    expect(() =>
      standardSchemaOf(z.object({ n: z.number().meta({ 'x-mcp-header': 'N' }) }), 'input'),
    ).toThrow('only a string, integer or boolean');
  });

  it.each([
    ['a number', withProperty({ type: 'number', 'x-mcp-header': 'P' }), 'only a string, integer or boolean'],
    ['an object', withProperty({ type: 'object', 'x-mcp-header': 'P' }), 'only a string, integer or boolean'],
    ['an empty name', withProperty({ type: 'string', 'x-mcp-header': '' }), 'RFC 9110 token'],
    ['a name with a space', withProperty({ type: 'string', 'x-mcp-header': 'My Header' }), 'RFC 9110 token'],
    ['a name with a newline', withProperty({ type: 'string', 'x-mcp-header': 'A\r\nB' }), 'RFC 9110 token'],
    [
      'a name declared twice in another case',
      jsonSchema({
        type: 'object',
        properties: {
          a: { type: 'string', 'x-mcp-header': 'Region' },
          b: { type: 'string', 'x-mcp-header': 'REGION' },
        },
      }),
      'declared twice',
    ],
    [
      'a declaration under items',
      withProperty({ type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } }),
      'through `properties` alone',
    ],
    [
      'a declaration under anyOf',
      jsonSchema({ type: 'object', anyOf: [{ properties: { a: { type: 'string', 'x-mcp-header': 'A' } } }] }),
      'through `properties` alone',
    ],
    [
      'a declaration in $defs',
      jsonSchema({ type: 'object', $defs: { a: { type: 'string', 'x-mcp-header': 'A' } } }),
      'through `properties` alone',
    ],
    [
      'a declaration at the root',
      jsonSchema({ type: 'object', 'x-mcp-header': 'Root' }),
      'through `properties` alone',
    ],
  ])('refuses %s', (_case, schema, message) => {
    expect(() => standardSchemaOf(schema, 'input')).toThrow(message);
  });
});
