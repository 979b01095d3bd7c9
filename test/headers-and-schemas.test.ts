import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_SCHEMA_2020_12_INPUT,
  registerHeadersAndSchemas,
  X_MCP_HEADER_INPUT,
} from '../src/conformance/headers-and-schemas';
import { serverExtensions } from '../src/mcp/server';
import {
  answerOf,
  initializeRequest,
  type JsonRpcResponse,
  LEGACY_VERSION,
  mcpPost,
  modernCall,
  modernRequest,
} from './support/mcp';
import { accessToken } from './support/oauth';

/**
 * Tools whose schemas are JSON Schema as written (SEP-2106) and whose parameters are mirrored into
 * `Mcp-Param-*` headers (SEP-2243): the conformance fixtures of src/conformance/headers-and-schemas.ts,
 * added to the product server for this file only, and reached through the whole Worker.
 */

let token: string;

beforeAll(async () => {
  serverExtensions.push(registerHeadersAndSchemas);
  token = await accessToken('schemas@example.com');
});

afterAll(() => {
  serverExtensions.splice(serverExtensions.indexOf(registerHeadersAndSchemas), 1);
});

interface ListedTool {
  name: string;
  inputSchema: Record<string, unknown>;
}

function toolOf(answer: JsonRpcResponse, name: string): ListedTool {
  const tool = ((answer.result?.tools ?? []) as ListedTool[]).find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`${name} is not listed`);
  return tool;
}

function textOf(answer: JsonRpcResponse): string {
  return ((answer.result?.content ?? []) as Array<{ text: string }>)[0]?.text ?? '';
}

/** A 2025-era session's headers (stateless: initialize, then any request with the version header). */
async function legacyHeaders(): Promise<Record<string, string>> {
  expect((await answerOf(await mcpPost(initializeRequest(1), { token }))).result).toBeDefined();
  return { 'MCP-Protocol-Version': LEGACY_VERSION };
}

async function legacyCall(method: string, params: Record<string, unknown>): Promise<JsonRpcResponse> {
  const headers = await legacyHeaders();
  return answerOf(await mcpPost({ jsonrpc: '2.0', id: 2, method, params }, { token, headers }));
}

describe('a tool whose input schema is JSON Schema 2020-12', () => {
  it('is listed byte for byte as written, 2020-12 keywords included (2026-07-28 and 2025)', async () => {
    const written = JSON.stringify(JSON_SCHEMA_2020_12_INPUT);
    for (const keyword of [
      '"$schema"',
      '"$defs"',
      '"$anchor"',
      '"$ref"',
      '"allOf"',
      '"anyOf"',
      '"if"',
      '"then"',
    ]) {
      expect(written).toContain(keyword);
    }
    const { answer } = await modernCall(token, 'tools/list');
    expect(JSON.stringify(toolOf(answer, 'json_schema_2020_12_tool').inputSchema)).toBe(written);
    expect(JSON.stringify(toolOf(answer, 'test_x_mcp_header').inputSchema)).toBe(
      JSON.stringify(X_MCP_HEADER_INPUT),
    );
    const legacy = await legacyCall('tools/list', {});
    expect(JSON.stringify(toolOf(legacy, 'json_schema_2020_12_tool').inputSchema)).toBe(written);
  });

  it('runs a call that satisfies every keyword', async () => {
    const args = { name: 'Ada', contactMethod: 'phone', phone: '555', address: { city: 'London' } };
    const { answer } = await modernCall(token, 'tools/call', {
      name: 'json_schema_2020_12_tool',
      arguments: args,
    });
    expect(answer.result?.isError).toBeFalsy();
    expect(textOf(answer)).toBe(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`);
  });

  it.each([
    ['if/then: phone chosen but missing', { contactMethod: 'phone', email: 'a@example.com' }],
    ['allOf/anyOf: neither phone nor email', { name: 'Ada' }],
    ['additionalProperties: false', { email: 'a@example.com', fax: '1' }],
    ['$ref to $defs: a street that is not a string', { email: 'a@example.com', address: { street: 1 } }],
    ['enum', { email: 'a@example.com', contactMethod: 'pigeon' }],
  ])(
    'refuses a call that breaks the schema (%s) with a tool error, and runs nothing',
    async (_case, args) => {
      const { response, answer } = await modernCall(token, 'tools/call', {
        name: 'json_schema_2020_12_tool',
        arguments: args,
      });
      expect(response.status).toBe(200);
      expect(answer.error).toBeUndefined();
      expect(answer.result?.isError).toBe(true);
      expect(textOf(answer)).toMatch(
        /^Input validation error: Invalid arguments for tool json_schema_2020_12_tool: /,
      );
      expect(textOf(answer)).not.toContain('called with');
    },
  );

  it('refuses a breaking call from a 2025-era client the same way', async () => {
    const answer = await legacyCall('tools/call', {
      name: 'json_schema_2020_12_tool',
      arguments: { name: 'Ada' },
    });
    expect(answer.result?.isError).toBe(true);
    expect(textOf(answer)).toMatch(/^Input validation error: /);
  });
});

/** A 2026-07-28 tools/call of test_x_mcp_header with `args`, and `params` as Mcp-Param-* headers. */
async function callWithHeaders(args: Record<string, unknown>, params: Record<string, string>) {
  const { body, headers } = modernRequest('tools/call', { name: 'test_x_mcp_header', arguments: args });
  const extra = Object.fromEntries(
    Object.entries(params).map(([name, value]) => [`Mcp-Param-${name}`, value]),
  );
  const response = await mcpPost(body, { token, headers: { ...headers, ...extra } });
  return { response, answer: await answerOf(response) };
}

async function expectHeaderMismatch(
  call: Promise<{ response: Response; answer: JsonRpcResponse }>,
  header: string,
): Promise<void> {
  const { response, answer } = await call;
  expect(response.status).toBe(400);
  expect(answer.error?.code).toBe(-32020);
  expect(answer.result).toBeUndefined();
  expect((answer.error?.data as { mismatch?: { header: string } } | undefined)?.mismatch?.header).toBe(
    header,
  );
}

describe('x-mcp-header parameters (SEP-2243) on 2026-07-28 requests', () => {
  it('are declared in tools/list on the parameters they mirror', async () => {
    const { answer } = await modernCall(token, 'tools/list');
    const properties = (toolOf(answer, 'test_x_mcp_header').inputSchema.properties ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    expect(properties.region?.['x-mcp-header']).toBe('Region');
    expect(properties.priority?.['x-mcp-header']).toBe('Priority');
    expect(properties.dryRun?.['x-mcp-header']).toBe('Dry-Run');
    expect(properties.query?.['x-mcp-header']).toBeUndefined();
  });

  it('accept headers that match the body: plain, Base64 for what a header cannot carry, numbers compared as numbers', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>]> = [
      [{ region: 'us-west1' }, { Region: 'us-west1' }],
      [
        { region: 'Zürich' },
        { Region: `=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode('Zürich')))}?=` },
      ],
      [{ region: ' padded ' }, { Region: '=?base64?IHBhZGRlZCA=?=' }],
      [
        { region: 'eu', priority: 7, dryRun: true },
        { Region: 'eu', Priority: '7', 'Dry-Run': 'true' },
      ],
      [
        { region: 'eu', priority: 7 },
        { region: 'eu', PRIORITY: '7.0' },
      ],
      [{ region: 'eu', query: 'SELECT 1' }, { Region: 'eu' }],
      // A header whose parameter is not in the body is ignored (the spec's "MUST NOT expect").
      [{ region: 'eu' }, { Region: 'eu', Priority: '3' }],
    ];
    for (const [args, params] of cases) {
      const { response, answer } = await callWithHeaders(args, params);
      expect(response.status, JSON.stringify(params)).toBe(200);
      expect(answer.result?.isError).toBeFalsy();
      expect(textOf(answer)).toBe(`Called with: ${JSON.stringify(args)}`);
    }
  });

  it('refuse a body value whose header is missing: 400 HeaderMismatch, before the tool runs', async () => {
    await expectHeaderMismatch(callWithHeaders({ region: 'eu' }, {}), 'Mcp-Param-Region');
    await expectHeaderMismatch(
      callWithHeaders({ region: 'eu', dryRun: false }, { Region: 'eu' }),
      'Mcp-Param-Dry-Run',
    );
  });

  it('refuse a header that disagrees with the body', async () => {
    await expectHeaderMismatch(callWithHeaders({ region: 'eu' }, { Region: 'us' }), 'Mcp-Param-Region');
    await expectHeaderMismatch(callWithHeaders({ region: 'eu' }, { Region: 'EU' }), 'Mcp-Param-Region');
    await expectHeaderMismatch(
      callWithHeaders({ region: 'eu', priority: 7 }, { Region: 'eu', Priority: '8' }),
      'Mcp-Param-Priority',
    );
    await expectHeaderMismatch(
      callWithHeaders({ region: 'eu', dryRun: true }, { Region: 'eu', 'Dry-Run': 'True' }),
      'Mcp-Param-Dry-Run',
    );
    // The header a load balancer would route on says one thing, the body another.
    await expectHeaderMismatch(
      callWithHeaders({ region: 'eu' }, { Region: `=?base64?${btoa('us')}?=` }),
      'Mcp-Param-Region',
    );
  });

  it('refuse a Base64 value that is not canonical Base64', async () => {
    // Bad padding, then characters outside the alphabet (the SEP's own examples).
    for (const bad of ['=?base64?SGVsbG8?=', '=?base64?SGVs!!!bG8=?=']) {
      const call = callWithHeaders({ region: 'Hello' }, { Region: bad });
      await expectHeaderMismatch(call, 'Mcp-Param-Region');
      expect((await call).answer.error?.message).toContain('invalid Base64');
    }
  });

  it('treat a value without the whole =?base64?…?= wrapper as a literal', async () => {
    const literal = '=?base64?SGVsbG8=';
    const { response, answer } = await callWithHeaders({ region: literal }, { Region: literal });
    expect(response.status).toBe(200);
    expect(textOf(answer)).toBe(`Called with: ${JSON.stringify({ region: literal })}`);
  });

  it('are checked on POST /sse too (the same Streamable HTTP endpoint)', async () => {
    const { body, headers } = modernRequest('tools/call', {
      name: 'test_x_mcp_header',
      arguments: { region: 'eu' },
    });
    const response = await mcpPost(body, {
      token,
      path: '/sse',
      headers: { ...headers, 'Mcp-Param-Region': 'us' },
    });
    expect(response.status).toBe(400);
    expect((await answerOf(response)).error?.code).toBe(-32020);
  });

  it('leave 2025-era requests alone: they carry no such headers', async () => {
    const answer = await legacyCall('tools/call', {
      name: 'test_x_mcp_header',
      arguments: { region: 'eu', priority: 1 },
    });
    expect(answer.error).toBeUndefined();
    expect(textOf(answer)).toBe(`Called with: ${JSON.stringify({ region: 'eu', priority: 1 })}`);
  });
});
