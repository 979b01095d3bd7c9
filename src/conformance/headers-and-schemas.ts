import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { jsonSchema, standardSchemaOf } from '../tools/support/schema';

/**
 * Conformance fixtures for tool schemas given as JSON Schema (@modelcontextprotocol/conformance
 * 0.2.0-alpha.12):
 * - `json-schema-2020-12` (SEP-1613, SEP-2106): `json_schema_2020_12_tool`, whose input schema must
 *   come back from tools/list with every 2020-12 keyword it was written with;
 * - `http-custom-header-server-validation` (SEP-2243): `test_x_mcp_header`, whose parameters are
 *   mirrored into `Mcp-Param-*` headers that the server checks against the body.
 * Both schemas go through the conversion real tools use (src/tools/support/schema.ts): validated
 * by the JSON Schema validator, listed as written.
 */

/** The suite's own schema (its `json-schema-2020-12` description), `type` first as the SDK lists it. */
export const JSON_SCHEMA_2020_12_INPUT = jsonSchema({
  type: 'object',
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword (if/then/else), never awaited
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
});

/** A parameter of each type a header may carry; `region` is the one the suite exercises. */
export const X_MCP_HEADER_INPUT = jsonSchema({
  type: 'object',
  properties: {
    region: {
      type: 'string',
      description: 'Where to run the query; mirrored into Mcp-Param-Region',
      'x-mcp-header': 'Region',
    },
    priority: { type: 'integer', minimum: 0, maximum: 9, 'x-mcp-header': 'Priority' },
    dryRun: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
    query: { type: 'string', description: 'Not mirrored: stays in the body only' },
  },
  required: ['region'],
  additionalProperties: false,
});

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

/** Adds the fixtures to `server` (src/conformance/index.ts). */
export function registerHeadersAndSchemas(server: McpServer): void {
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description:
        'Tool with JSON Schema 2020-12 features ($schema, $defs with $anchor, $ref, allOf/anyOf, if/then/else, additionalProperties).',
      inputSchema: standardSchemaOf(JSON_SCHEMA_2020_12_INPUT, 'input'),
    },
    (input) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(input)}`),
  );
  server.registerTool(
    'test_x_mcp_header',
    {
      description: 'Echoes its arguments; region, priority and dryRun are mirrored into Mcp-Param-* headers.',
      inputSchema: standardSchemaOf(X_MCP_HEADER_INPUT, 'input'),
    },
    (input) => text(`Called with: ${JSON.stringify(input)}`),
  );
}
