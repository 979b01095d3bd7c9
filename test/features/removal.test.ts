import { env } from 'cloudflare:workers';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { features } from '../../src/features/index';
import { authInfoFor } from '../../src/mcp/caller';
import { type Feature, featureProblems, featureRegistry, toolsOf } from '../../src/mcp/feature';
import { buildMcpServer } from '../../src/mcp/server';
import { defineTool } from '../../src/tools/define-tool';
import { answerOf, initializeRequest, type JsonRpcResponse, modernRequest } from '../support/mcp';
import { newUser } from '../support/tools';

// A forker deletes the notes example: its folder (src/features/notes/) and its line in the
// registry (src/features/index.ts). This builds the server from the registry without it, with
// bindings that have no Notebook at all, and checks that what is left is served whole: the core
// tools, empty resource and prompt lists, and confirmations (whose ledger is not the notes').
// `npm run lint` checks the other half: no module outside the folder but the registry and
// src/index.ts (its Durable Object) imports it.

const withoutNotes = features.filter((feature) => feature.name !== 'notes');
/** The tools left: the core ones first, then those of the other features (GitHub, profile…). */
const keptTools = toolsOf(withoutNotes).map((tool) => tool.name);

/** Asks the user to confirm, then says what they answered: a destructive tool of no feature of ours. */
const eraseEverything = defineTool({
  name: 'erase_everything',
  title: 'Erase everything',
  description: 'Asks the user to confirm, then pretends to erase everything.',
  inputSchema: z.object({}),
  outputSchema: z.object({ erased: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'mcp',
  async handler(_input, { confirm }) {
    const { status } = await confirm({ message: 'Erase everything?' });
    const erased = status === 'confirmed';
    return { structured: { erased }, text: erased ? 'Erased.' : 'Kept.' };
  },
});

const confirming: Feature = { name: 'confirming', tools: [eraseEverything] };

/** The Worker's bindings without the notes feature's Durable Object: any use of it would throw. */
const envWithoutNotebook = { ...env, NOTEBOOK: undefined } as unknown as Env;

/** An MCP endpoint serving `served` to one signed-in user through one app, as the routes would. */
function endpoint(served: readonly Feature[]) {
  const user = newUser('forker');
  const authInfo = authInfoFor({
    token: 'not-checked-here',
    clientId: 'forked-app',
    scopes: ['mcp'],
    audience: 'https://mcp.example.com/mcp',
    props: user,
  });
  const handler = createMcpHandler(
    ({ authInfo: given }) => buildMcpServer(given, envWithoutNotebook, { features: served }),
    { legacy: 'stateless' },
  );
  const post = async (body: unknown, headers: Record<string, string> = {}): Promise<JsonRpcResponse> => {
    const response = await handler.fetch(
      new Request('https://mcp.example.com/mcp', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(body),
      }),
      { authInfo },
    );
    expect(response.status).toBe(200);
    return answerOf(response);
  };
  /** A 2026-07-28 request, from a client that can answer forms. */
  const modern = (method: string, params: Record<string, unknown> = {}) => {
    const { body, headers } = modernRequest(method, params);
    const meta = (body as { params: { _meta: Record<string, unknown> } }).params._meta;
    meta['io.modelcontextprotocol/clientCapabilities'] = { elicitation: {} };
    return post(body, headers);
  };
  return { user, post, modern };
}

/** The tool names of a `tools/list` answer. */
function namesIn(list: JsonRpcResponse): string[] {
  return ((list.result?.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
}

describe('the server without the notes feature', () => {
  it('is a valid registry whose tools are the core ones', () => {
    expect(withoutNotes.length).toBe(features.length - 1);
    expect(featureProblems(withoutNotes)).toEqual([]);
    expect(keptTools.slice(0, 2)).toEqual(['add', 'whoami']);
    expect(keptTools.filter((name) => name.startsWith('notes_'))).toEqual([]);
  });

  it('a 2025-era client initializes and lists add and whoami; no resources, no prompts', async () => {
    const { post } = endpoint(withoutNotes);
    const init = await post(initializeRequest(1));
    expect(init.result?.serverInfo).toMatchObject({ name: 'remote-mcp-server' });
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect(namesIn(list)).toEqual(keptTools);
    const resources = await post({ jsonrpc: '2.0', id: 3, method: 'resources/list', params: {} });
    expect(resources.result?.resources).toEqual([]);
    const templates = await post({ jsonrpc: '2.0', id: 4, method: 'resources/templates/list', params: {} });
    expect(templates.result?.resourceTemplates).toEqual([]);
    const prompts = await post({ jsonrpc: '2.0', id: 5, method: 'prompts/list', params: {} });
    expect(prompts.result?.prompts).toEqual([]);
  });

  it('a 2026-07-28 client calls add and whoami', async () => {
    const { user, modern } = endpoint(withoutNotes);
    const sum = await modern('tools/call', { name: 'add', arguments: { a: 23, b: 19 } });
    expect(sum.result?.structuredContent).toEqual({ sum: 42 });
    const me = await modern('tools/call', { name: 'whoami', arguments: {} });
    expect(me.result?.structuredContent).toMatchObject({ userId: user.userId, email: user.email });
  });

  it('a notes tool is not there any more', async () => {
    const { modern } = endpoint(withoutNotes);
    const answer = await modern('tools/call', { name: 'notes_list', arguments: {} });
    expect(answer.result).toBeUndefined();
    expect(answer.error).toMatchObject({ code: -32602, message: 'Tool notes_list not found' });
  });

  it("confirmations still work, once each: another feature's tool asks, is answered, and a replay is refused", async () => {
    const { modern } = endpoint(featureRegistry([...withoutNotes, confirming]));
    const call = { name: 'erase_everything', arguments: {} };
    const asked = await modern('tools/call', call);
    expect(asked.result?.resultType).toBe('input_required');
    const requestState = asked.result?.requestState;
    expect(typeof requestState).toBe('string');
    const yes = { confirm: { action: 'accept', content: { confirm: true } } };
    const done = await modern('tools/call', { ...call, requestState, inputResponses: yes });
    expect(done.result?.structuredContent).toEqual({ erased: true });
    const replayed = await modern('tools/call', { ...call, requestState, inputResponses: yes });
    expect(replayed.result).toBeUndefined();
    expect(replayed.error).toMatchObject({ code: -32602, message: 'Invalid or expired requestState' });
  });
});

describe('the registry', () => {
  const tool = toolsOf(features)[0];
  if (!tool) throw new Error('the registry has no tool');

  it('refuses two features of one name, or one tool in two features, when it loads', () => {
    expect(
      featureProblems([
        { name: 'a', tools: [tool] },
        { name: 'b', tools: [tool] },
      ]),
    ).toEqual([`the tool ${tool.name} is in a and in b`]);
    expect(
      featureProblems([
        { name: 'a', tools: [] },
        { name: 'a', tools: [] },
      ]),
    ).toEqual(['two features are named a']);
    expect(() => featureRegistry([...features, { name: 'again', tools: [tool] }])).toThrow(
      `The feature registry is not valid: the tool ${tool.name} is in core and in again.`,
    );
  });

  it('serves the tools, in order, of the features it is given', async () => {
    const { post } = endpoint([confirming, ...withoutNotes]);
    await post(initializeRequest(1));
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect(namesIn(list)).toEqual(['erase_everything', ...keptTools]);
  });
});
