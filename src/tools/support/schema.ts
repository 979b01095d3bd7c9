import { fromJsonSchema, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/server/validators/cf-worker';
import * as z from 'zod';
import { cachedJsonSchema } from '../../lib/cached-json-schema';

declare const accepts: unique symbol;

/**
 * A JSON Schema object exactly as its author wrote it (2020-12 unless its `$schema` names
 * another dialect the validator knows: 2019-09, draft-07, draft-06). `T` is the type of a value
 * the schema accepts, for the handler's input; see {@link jsonSchema}.
 */
export type JsonSchema<T = Record<string, unknown>> = { readonly [keyword: string]: unknown } & {
  readonly [accepts]?: T;
};

/** A tool's input or output schema: zod, or a JSON Schema object. */
export type ToolSchema = z.ZodType | JsonSchema<unknown>;

/** What a schema accepts: zod's inferred type, or the `T` of a {@link JsonSchema}. */
export type Accepted<S> = S extends z.ZodType
  ? z.infer<S>
  : S extends JsonSchema<infer T>
    ? unknown extends T
      ? Record<string, unknown>
      : T
    : never;

/**
 * Types a JSON Schema: `jsonSchema<{ query: string }>({ type: 'object', … })`. The schema itself
 * is returned untouched (it is what `tools/list` shows); the type is the author's promise of what
 * the schema accepts, which the validator keeps at run time.
 */
export function jsonSchema<T = Record<string, unknown>>(schema: {
  readonly [keyword: string]: unknown;
}): JsonSchema<T> {
  return schema as JsonSchema<T>;
}

/**
 * The JSON Schema validator of every JSON Schema tool: `@cfworker/json-schema` (shipped inside
 * the SDK), which runs on Workers without code generation (no `eval`, unlike Ajv) and knows
 * 2020-12 whole (`$anchor`, `$dynamicRef`, `prefixItems`, `dependentSchemas`,
 * `unevaluatedProperties`, …). It reports the first failure it finds.
 */
const validator = new CfWorkerJsonSchemaValidator();

/** Schemas already converted in this isolate, per role: each is checked and compiled once. */
const converted = {
  input: new WeakMap<object, StandardSchemaWithJSON>(),
  output: new WeakMap<object, StandardSchemaWithJSON>(),
};

/**
 * A tool schema as the SDK takes it (Standard Schema with its JSON Schema), converted once per
 * isolate: the MCP server is built per request and looks it up each time.
 * - zod: its JSON Schema conversion is memoized (src/lib/cached-json-schema.ts);
 * - JSON Schema: compiled by the validator, then frozen; the SDK lists that very object, so
 *   `tools/list` shows what the author wrote (the SDK puts `type` first, nothing else moves).
 * `role` `input` also checks what MCP asks of an input schema: an object root, `x-mcp-header`
 * declarations that clients accept, and only local `$ref`s. A schema that fails throws here,
 * when the tool is defined, instead of being dropped by clients or failing at call time.
 */
export function standardSchemaOf(schema: ToolSchema, role: 'input' | 'output'): StandardSchemaWithJSON {
  let standard = converted[role].get(schema);
  if (standard) return standard;
  if (schema instanceof z.ZodType) {
    standard = cachedJsonSchema(schema) as StandardSchemaWithJSON;
    if (role === 'input')
      checkInputSchema(standard['~standard'].jsonSchema.input({ target: 'draft-2020-12' }));
  } else {
    if (role === 'input') checkInputSchema(schema);
    checkReferences(schema);
    // Compiling defines the validator's own (non-enumerable) bookkeeping on the schema's objects,
    // so it comes before the freeze; the frozen schema is then shared by every request.
    standard = fromJsonSchema(schema as Record<string, unknown>, validator);
    deepFreeze(schema);
  }
  converted[role].set(schema, standard);
  return standard;
}

/** A problem with a tool's schema, found when the tool is defined. */
export class ToolSchemaError extends Error {
  override readonly name = 'ToolSchemaError';
}

function checkInputSchema(schema: Record<string, unknown>): void {
  if (schema.type !== 'object') {
    throw new ToolSchemaError('An input schema must describe an object: give it `type: "object"`.');
  }
  checkHeaderDeclarations(schema);
}

/** RFC 9110 §5.1 `token`: what an `x-mcp-header` value may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_TYPES = new Set(['string', 'integer', 'boolean']);
/** Keywords whose subschemas are not reachable through `properties` alone (MCP 2026-07-28). */
const SUBSCHEMA_KEYWORDS = [
  'items',
  'prefixItems',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'patternProperties',
  'dependentSchemas',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  '$defs',
  'definitions',
];
const NAMED_SUBSCHEMAS = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);

/**
 * SEP-2243 (MCP 2026-07-28, "x-mcp-header"): a parameter mirrored into an `Mcp-Param-{name}`
 * header is a string, integer or boolean property reached from the root through `properties`
 * only; its name is a non-empty HTTP token, unique whatever its case. Clients drop a tool that
 * breaks a rule, so breaking one is an error here. (The SDK checks the headers of each call
 * against these declarations: src/mcp/http.ts.)
 */
function checkHeaderDeclarations(root: Record<string, unknown>): void {
  const seen = new Map<string, string>();
  const visit = (node: unknown, path: string[], reachable: boolean): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const schema = node as Record<string, unknown>;
    const where = path.length === 0 ? 'the root' : path.join('.');
    if ('x-mcp-header' in schema) {
      const name = schema['x-mcp-header'];
      if (!reachable || path.length === 0) {
        throw new ToolSchemaError(
          `x-mcp-header at ${where}: only a property reached through \`properties\` alone can be mirrored into a header.`,
        );
      }
      if (typeof name !== 'string' || !TOKEN.test(name)) {
        throw new ToolSchemaError(`x-mcp-header at ${where} must be a header name (an RFC 9110 token).`);
      }
      if (typeof schema.type !== 'string' || !HEADER_TYPES.has(schema.type)) {
        throw new ToolSchemaError(
          `x-mcp-header at ${where}: only a string, integer or boolean can be a header.`,
        );
      }
      const other = seen.get(name.toLowerCase());
      if (other !== undefined) {
        throw new ToolSchemaError(`x-mcp-header '${name}' is declared twice (also as '${other}').`);
      }
      seen.set(name.toLowerCase(), name);
    }
    const properties = schema.properties;
    if (properties !== null && typeof properties === 'object') {
      for (const [key, child] of Object.entries(properties)) visit(child, [...path, key], reachable);
    }
    for (const keyword of SUBSCHEMA_KEYWORDS) {
      const sub = schema[keyword];
      if (sub === undefined || sub === null || typeof sub !== 'object') continue;
      const branches = Array.isArray(sub) ? sub : NAMED_SUBSCHEMAS.has(keyword) ? Object.values(sub) : [sub];
      for (const branch of branches) visit(branch, [...path, `<${keyword}>`], false);
    }
  };
  visit(root, [], true);
}

/**
 * Every `$ref` must point inside the schema (`#…`): MCP forbids following a reference to a
 * network URI, and a reference the validator cannot resolve fails every call that reaches it.
 * JSON pointers are resolved here; an `#anchor` must be declared by an `$anchor`.
 */
function checkReferences(root: object): void {
  const anchors = new Set<string>();
  const refs: string[] = [];
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    const schema = node as Record<string, unknown>;
    if (typeof schema.$ref === 'string') refs.push(schema.$ref);
    if (typeof schema.$anchor === 'string') anchors.add(schema.$anchor);
    for (const [key, value] of Object.entries(schema)) {
      if (key !== 'const' && key !== 'enum' && key !== 'default' && key !== 'examples') walk(value);
    }
  };
  walk(root);
  for (const ref of refs) {
    const resolved =
      ref.startsWith('#/') || ref === '#' ? pointer(root, ref.slice(1)) : anchors.has(ref.slice(1));
    if (!ref.startsWith('#') || !resolved) {
      throw new ToolSchemaError(
        `$ref "${ref}" does not point inside the schema: use a local reference (#/$defs/… or #anchor).`,
      );
    }
  }
}

/** Whether an RFC 6901 JSON pointer (`/a/b`) names a value inside `root`. */
function pointer(root: object, path: string): boolean {
  let node: unknown = root;
  for (const raw of path === '' ? [] : path.slice(1).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function deepFreeze(value: unknown): void {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
}
