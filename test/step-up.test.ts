import { beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './support/browser';
import { LEGACY_VERSION, mcpPost, modernCall } from './support/mcp';
import {
  ALL_SCOPES,
  accessToken,
  authorizePath,
  connect,
  consentPage,
  pkce,
  registerClient,
  signIn,
} from './support/oauth';
import { EventStream, postMessage } from './support/sse';

/**
 * The exact challenge of an operation that needs `scopes` (baseline included), naming the metadata
 * of the endpoint it was called on (RFC 9728 §3.1: `/mcp`'s own document, `/sse`'s own document).
 */
function challengeFor(operation: string, scopes: string, endpoint: '/mcp' | '/sse' = '/mcp'): string {
  const metadata = `resource_metadata="http://localhost/.well-known/oauth-protected-resource${endpoint}"`;
  return `Bearer error="insufficient_scope", error_description="${operation} needs the ${scopes} scopes", scope="${scopes}", ${metadata}`;
}

function legacyCall(token: string, method: string, params: Record<string, unknown>): Promise<Response> {
  return mcpPost(
    { jsonrpc: '2.0', id: 9, method, params },
    { token, headers: { 'MCP-Protocol-Version': LEGACY_VERSION } },
  );
}

let baseOnly: string;
let readOnly: string;
let writeOnly: string;

beforeAll(async () => {
  [baseOnly, readOnly, writeOnly] = await Promise.all([
    accessToken('step-up-base@example.com', ['mcp']),
    accessToken('step-up-read@example.com', ['mcp', 'notes:read']),
    accessToken('step-up-write@example.com', ['mcp', 'notes:write']),
  ]);
});

describe('step-up: a call without its scope is answered 403 insufficient_scope before it runs', () => {
  it.each([
    ['notes_create', { title: 'x' }, 'mcp notes:write'],
    ['notes_update', { id: 'x', title: 'y' }, 'mcp notes:write'],
    ['notes_delete', { id: 'x', confirm: true }, 'mcp notes:write'],
    ['notes_list', {}, 'mcp notes:read'],
    ['notes_get', { id: 'x' }, 'mcp notes:read'],
    ['notes_search', { query: 'x' }, 'mcp notes:read'],
  ])(
    '%s with only mcp: 403 naming %s and the resource metadata, in both eras',
    async (name, args, scopes) => {
      const expected = challengeFor(`The tool ${name}`, scopes);
      const modern = await modernCall(baseOnly, 'tools/call', { name, arguments: args });
      expect(modern.response.status).toBe(403);
      expect(modern.response.headers.get('WWW-Authenticate')).toBe(expected);
      const legacy = await legacyCall(baseOnly, 'tools/call', { name, arguments: args });
      expect(legacy.status).toBe(403);
      expect(legacy.headers.get('WWW-Authenticate')).toBe(expected);
      expect(await legacy.json()).toEqual({
        error: 'insufficient_scope',
        error_description: `The tool ${name} needs the ${scopes} scopes`,
      });
    },
  );

  it('with notes:read, reading works and writing is challenged for notes:write (not offline_access)', async () => {
    const list = await modernCall(readOnly, 'tools/call', { name: 'notes_list', arguments: {} });
    expect(list.response.status).toBe(200);
    expect(list.answer.result?.isError).toBeUndefined();
    const create = await modernCall(readOnly, 'tools/call', {
      name: 'notes_create',
      arguments: { title: 'x' },
    });
    expect(create.response.status).toBe(403);
    const header = create.response.headers.get('WWW-Authenticate') ?? '';
    expect(header).toBe(challengeFor('The tool notes_create', 'mcp notes:write'));
    expect(header).not.toContain('offline_access');
  });

  it('notes:write implies notes:read: a write-only grant reads too', async () => {
    const created = await modernCall(writeOnly, 'tools/call', {
      name: 'notes_create',
      arguments: { title: 'W' },
    });
    expect(created.answer.result?.isError).toBeUndefined();
    const list = await modernCall(writeOnly, 'tools/call', { name: 'notes_list', arguments: {} });
    expect(list.response.status).toBe(200);
    expect(list.answer.result?.structuredContent).toMatchObject({ total: 1 });
  });

  it('tools that need only the baseline are never challenged', async () => {
    const { response, answer } = await modernCall(baseOnly, 'tools/call', { name: 'whoami', arguments: {} });
    expect(response.status).toBe(200);
    expect(answer.result?.isError).toBeUndefined();
  });

  it('every tool stays listed whatever the scopes', async () => {
    const { answer } = await modernCall(baseOnly, 'tools/list');
    const names = ((answer.result?.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
    expect(names).toContain('notes_create');
    expect(names).toContain('notes_delete');
  });

  it('resources/read and prompts/get of notes are challenged for notes:read', async () => {
    const read = await modernCall(baseOnly, 'resources/read', { uri: 'notes://anything' });
    expect(read.response.status).toBe(403);
    expect(read.response.headers.get('WWW-Authenticate')).toBe(
      challengeFor('Reading a note', 'mcp notes:read'),
    );
    const prompt = await modernCall(baseOnly, 'prompts/get', { name: 'summarize_notes', arguments: {} });
    expect(prompt.response.status).toBe(403);
    expect(prompt.response.headers.get('WWW-Authenticate')).toBe(
      challengeFor('Summarizing notes', 'mcp notes:read'),
    );
    const legacy = await legacyCall(baseOnly, 'prompts/get', { name: 'summarize_notes', arguments: {} });
    expect(legacy.status).toBe(403);
  });

  it('resources/list without notes:read lists no notes (a list cannot be challenged per item)', async () => {
    const { response, answer } = await modernCall(baseOnly, 'resources/list');
    expect(response.status).toBe(200);
    expect(answer.result?.resources).toEqual([]);
  });

  it('on the legacy SSE transport the message POST itself answers 403, and nothing runs', async () => {
    const stream = await EventStream.open(readOnly);
    try {
      const endpoint = (await stream.next()).data;
      const response = await postMessage(endpoint, readOnly, {
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'notes_create', arguments: { title: 'via SSE' } },
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('WWW-Authenticate')).toBe(
        challengeFor('The tool notes_create', 'mcp notes:write', '/sse'),
      );
      const list = await modernCall(readOnly, 'tools/call', { name: 'notes_list', arguments: {} });
      expect(list.answer.result?.structuredContent).toMatchObject({ total: 0 });
    } finally {
      await stream.close();
    }
  });
});

describe('consent: the user can grant fewer scopes than the app asks for', () => {
  it('offers each notes scope as a ticked box; unticking notes:write grants read only', async () => {
    const { tokens } = await connect('fewer@example.com', {
      request: ALL_SCOPES,
      grant: ['mcp', 'notes:read'],
    });
    expect(tokens.scope).toBe('mcp notes:read');
    const create = await modernCall(tokens.access_token, 'tools/call', {
      name: 'notes_create',
      arguments: { title: 'x' },
    });
    expect(create.response.status).toBe(403);
    const list = await modernCall(tokens.access_token, 'tools/call', { name: 'notes_list', arguments: {} });
    expect(list.response.status).toBe(200);
  });

  it('the page shows what each scope allows, the baseline fixed and the others optional', async () => {
    const client = await registerClient();
    const browser = new Browser();
    const path = authorizePath(client, (await pkce()).challenge, { extra: { scope: ALL_SCOPES.join(' ') } });
    await signIn(browser, path, 'consent-scopes@example.com');
    const { html } = await consentPage(browser, path);
    expect(html).toContain('<input type="hidden" name="scope" value="mcp"/>');
    expect(html).toContain(
      '<input id="scope-notes:read" type="checkbox" name="scope" value="notes:read" checked=""/>',
    );
    expect(html).toContain(
      '<input id="scope-notes:write" type="checkbox" name="scope" value="notes:write" checked=""/>',
    );
    expect(html).toContain('Read your notes');
    expect(html).toContain('Create, change and delete your notes (and read them)');
  });
});
