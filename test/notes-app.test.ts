import { beforeAll, describe, expect, it } from 'vitest';
import { answerOf, initializeRequest, LEGACY_VERSION, mcpPost, modernCall } from './support/mcp';
import { ALL_SCOPES, accessToken } from './support/oauth';

/**
 * Notes as an MCP App (src/features/notes/app/): the `ui://` view, the tools that open it, and the
 * tool only the view calls. test/e2e/notes-app.test.ts drives the view in Chromium through a host.
 */

const VIEW_URI = 'ui://notes/view.html';
const MCP_APP_HTML = 'text/html;profile=mcp-app';
const SHOWN_IN_VIEW = { ui: { resourceUri: VIEW_URI }, 'ui/resourceUri': VIEW_URI };
const VIEW_ONLY = { ui: { resourceUri: VIEW_URI, visibility: ['app'] }, 'ui/resourceUri': VIEW_URI };
const NO_NETWORK = {
  ui: {
    csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
    prefersBorder: true,
  },
};

interface ListedTool {
  name: string;
  _meta?: Record<string, unknown>;
}

let baseOnly: string;
let readOnly: string;
let readWrite: string;

beforeAll(async () => {
  [baseOnly, readOnly, readWrite] = await Promise.all([
    accessToken('app-base@example.com', ['mcp']),
    accessToken('app-read@example.com', ['mcp', 'notes:read']),
    accessToken('app-write@example.com', ALL_SCOPES),
  ]);
}, 60_000); // the first requests of a file also load the Worker

async function legacyAnswer(token: string, method: string, params: Record<string, unknown>) {
  await answerOf(await mcpPost(initializeRequest(1, LEGACY_VERSION), { token }));
  const response = await mcpPost(
    { jsonrpc: '2.0', id: 2, method, params },
    { token, headers: { 'MCP-Protocol-Version': LEGACY_VERSION } },
  );
  return { response, answer: await answerOf(response.clone()) };
}

describe('the notes view in tools/list', () => {
  it('notes_list, notes_search and notes_get name the view; notes_access is for the view only', async () => {
    const expected = {
      notes_list: SHOWN_IN_VIEW,
      notes_search: SHOWN_IN_VIEW,
      notes_get: SHOWN_IN_VIEW,
      notes_access: VIEW_ONLY,
    };
    const modern = await modernCall(baseOnly, 'tools/list');
    const legacy = await legacyAnswer(baseOnly, 'tools/list', {});
    for (const { answer } of [modern, legacy]) {
      const tools = (answer.result?.tools ?? []) as ListedTool[];
      const withMeta = Object.fromEntries(
        tools.filter((tool) => tool._meta !== undefined).map((tool) => [tool.name, tool._meta]),
      );
      expect(withMeta).toEqual(expected);
    }
  });

  it('a tool the view shows keeps its whole text result for clients without MCP Apps', async () => {
    const created = await modernCall(readWrite, 'tools/call', {
      name: 'notes_create',
      arguments: { title: 'Groceries', body: 'eggs, flour' },
    });
    const made = created.answer.result?.structuredContent as { note?: { id: string } } | undefined;
    const id = made?.note?.id ?? '';
    const { answer } = await modernCall(readWrite, 'tools/call', { name: 'notes_get', arguments: { id } });
    const content = answer.result?.content as Array<{ type: string; text: string }>;
    expect(content).toHaveLength(1);
    expect(content[0]?.text).toMatch(new RegExp(`^# Groceries\n\neggs, flour\n\n_Note ${id}, updated `));
  });
});

describe('notes_access (for the view only)', () => {
  it.each([
    ['mcp only', () => baseOnly, { read: false, write: false }],
    ['notes:read', () => readOnly, { read: true, write: false }],
    ['notes:write', () => readWrite, { read: true, write: true }],
  ])('with %s it answers what the grant allows', async (_name, token, access) => {
    const { answer } = await modernCall(token(), 'tools/call', { name: 'notes_access', arguments: {} });
    expect(answer.result?.isError).toBeFalsy();
    expect(answer.result?.structuredContent).toEqual(access);
  });
});

describe('the ui:// resource', () => {
  it('is listed as an MCP App view', async () => {
    const { answer } = await modernCall(readOnly, 'resources/list');
    const resources = (answer.result?.resources ?? []) as Array<Record<string, unknown>>;
    expect(resources.find((resource) => resource.uri === VIEW_URI)).toEqual({
      uri: VIEW_URI,
      name: 'notes_view',
      title: 'Notes',
      description:
        'Your notes as an interactive view (MCP Apps): list, search, open, create, change and delete them.',
      mimeType: MCP_APP_HTML,
      _meta: NO_NETWORK,
    });
  });

  it('reads as one HTML document that loads nothing and connects nowhere, in both eras', async () => {
    const modern = await modernCall(readOnly, 'resources/read', { uri: VIEW_URI });
    const legacy = await legacyAnswer(readOnly, 'resources/read', { uri: VIEW_URI });
    for (const { response, answer } of [modern, legacy]) {
      expect(response.status).toBe(200);
      const contents = answer.result?.contents as Array<{ uri: string; mimeType: string; text: string }>;
      expect(contents).toHaveLength(1);
      const [view] = contents;
      expect(view).toMatchObject({ uri: VIEW_URI, mimeType: MCP_APP_HTML, _meta: NO_NETWORK });
      expect(view?.text).toMatch(/^<!doctype html>\n/);
      expect(view?.text).toContain('<title>Notes</title>');
      expect(view?.text).toContain('ui/initialize');
      // Everything inline: no src or href attribute, no URL anywhere in the document.
      expect(view?.text).not.toMatch(/\s(src|href)=/i);
      expect(view?.text).not.toMatch(/https?:\/\//);
    }
  });

  it('without notes:read it is not listed, as the notes are not', async () => {
    const { answer } = await modernCall(baseOnly, 'resources/list');
    expect(answer.result?.resources).toEqual([]);
  });

  it('without notes:read, reading it is a step-up challenge for notes:read', async () => {
    const challenge =
      'Bearer error="insufficient_scope", error_description="The notes view needs the mcp notes:read scopes", ' +
      'scope="mcp notes:read", resource_metadata="http://localhost/.well-known/oauth-protected-resource/mcp"';
    const modern = await modernCall(baseOnly, 'resources/read', { uri: VIEW_URI });
    expect(modern.response.status).toBe(403);
    expect(modern.response.headers.get('WWW-Authenticate')).toBe(challenge);
    const legacy = await legacyAnswer(baseOnly, 'resources/read', { uri: VIEW_URI });
    expect(legacy.response.status).toBe(403);
    expect(legacy.response.headers.get('WWW-Authenticate')).toBe(challenge);
  });
});
