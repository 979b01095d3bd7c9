import { beforeAll, describe, expect, it } from 'vitest';
import { type JsonRpcResponse, modernCall } from './support/mcp';
import { ALL_SCOPES, accessToken } from './support/oauth';

/** Two users, each with every scope: what one wrote, the other never sees or touches. */
let ada: string;
let bob: string;
let adasNote: string;
const SECRET = 'ada-secret-marker';
/** The one resource that is no note: the notes view (MCP Apps), the same for everyone. */
const NOTES_VIEW = expect.objectContaining({ uri: 'ui://notes/view.html' });

async function result(
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<JsonRpcResponse> {
  const { response, answer } = await modernCall(token, method, params);
  expect(response.status).toBe(200);
  return answer;
}

beforeAll(async () => {
  [ada, bob] = await Promise.all([
    accessToken('ada-isolation@example.com', ALL_SCOPES),
    accessToken('bob-isolation@example.com', ALL_SCOPES),
  ]);
  const created = await result(ada, 'tools/call', {
    name: 'notes_create',
    arguments: { title: `Plans ${SECRET}`, body: `The body ${SECRET}` },
  });
  const note = created.result?.structuredContent as { note: { id: string } } | undefined;
  if (!note) throw new Error(`notes_create failed: ${JSON.stringify(created)}`);
  adasNote = note.note.id;
});

describe("user B never sees or changes user A's notes", () => {
  it('through the tools', async () => {
    const calls: Array<[string, Record<string, unknown>]> = [
      ['notes_list', {}],
      ['notes_search', { query: SECRET }],
      ['notes_get', { id: adasNote }],
      ['notes_update', { id: adasNote, body: 'changed by bob' }],
      ['notes_delete', { id: adasNote, confirm: true }],
    ];
    for (const [name, args] of calls) {
      const answer = await result(bob, 'tools/call', { name, arguments: args });
      expect(JSON.stringify(answer), name).not.toContain(`Plans ${SECRET}`);
      expect(JSON.stringify(answer), name).not.toContain(`The body ${SECRET}`);
    }
    const list = await result(bob, 'tools/call', { name: 'notes_list', arguments: {} });
    expect(list.result?.structuredContent).toMatchObject({ total: 0 });
    const search = await result(bob, 'tools/call', { name: 'notes_search', arguments: { query: SECRET } });
    expect(search.result?.structuredContent).toEqual({ notes: [], total: 0 });
    const get = await result(bob, 'tools/call', { name: 'notes_get', arguments: { id: adasNote } });
    expect(get.result?.isError).toBe(true);
  });

  it('through resources', async () => {
    const listed = await result(bob, 'resources/list');
    expect(listed.result?.resources).toEqual([NOTES_VIEW]);
    const read = await result(bob, 'resources/read', { uri: `notes://${adasNote}` });
    expect(read.result).toBeUndefined();
    expect(read.error?.message).toBe(`There is no note at notes://${adasNote}.`);
    expect(JSON.stringify(read)).not.toContain(SECRET);
  });

  it('through the prompt', async () => {
    const prompt = await result(bob, 'prompts/get', {
      name: 'summarize_notes',
      arguments: { query: SECRET },
    });
    expect(JSON.stringify(prompt)).not.toContain(`Plans ${SECRET}`);
    expect(prompt.result?.messages).toEqual([
      {
        role: 'user',
        content: {
          type: 'text',
          text: `I wanted a summary of my notes that contain "${SECRET}", but there are none. Tell me so.`,
        },
      },
    ]);
  });

  it("and A's note is intact, visible to A through every path", async () => {
    const get = await result(ada, 'tools/call', { name: 'notes_get', arguments: { id: adasNote } });
    expect(get.result?.structuredContent).toMatchObject({ note: { body: `The body ${SECRET}` } });
    const listed = await result(ada, 'resources/list');
    expect(listed.result?.resources).toEqual([
      NOTES_VIEW,
      {
        uri: `notes://${adasNote}`,
        name: `Plans ${SECRET}`,
        title: `Plans ${SECRET}`,
        description: `The body ${SECRET}`,
        mimeType: 'text/markdown',
      },
    ]);
    expect(listed.result).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
    const read = await result(ada, 'resources/read', { uri: `notes://${adasNote}` });
    expect(read.result?.contents).toEqual([
      {
        uri: `notes://${adasNote}`,
        mimeType: 'text/markdown',
        text: expect.stringContaining(`# Plans ${SECRET}\n\nThe body ${SECRET}\n`),
      },
    ]);
    expect(read.result).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
    const prompt = await result(ada, 'prompts/get', {
      name: 'summarize_notes',
      arguments: { query: SECRET },
    });
    const messages = prompt.result?.messages as Array<{
      content: { type: string; resource?: { uri: string } };
    }>;
    expect(messages).toHaveLength(3);
    expect(messages[1]?.content).toMatchObject({
      type: 'resource',
      resource: { uri: `notes://${adasNote}` },
    });
  });
});

describe('resources, templates and prompts are announced', () => {
  it('lists the notes template and the summary prompt, with cache hints', async () => {
    const templates = await result(ada, 'resources/templates/list');
    expect(templates.result?.resourceTemplates).toEqual([
      {
        name: 'note',
        title: 'Note',
        uriTemplate: 'notes://{id}',
        description: 'One of your notes, as Markdown.',
        mimeType: 'text/markdown',
      },
    ]);
    expect(templates.result).toMatchObject({ ttlMs: 300_000, cacheScope: 'private' });
    const prompts = await result(ada, 'prompts/list');
    expect(prompts.result?.prompts).toEqual([
      {
        name: 'summarize_notes',
        title: 'Summarize my notes',
        description: 'Summarizes your notes that contain some words, or your 20 most recent notes.',
        arguments: [
          {
            name: 'query',
            description: 'Only notes containing these words (all notes when empty)',
            required: false,
          },
        ],
      },
    ]);
  });

  it('the prompt without a query uses the most recent notes', async () => {
    const prompt = await result(ada, 'prompts/get', { name: 'summarize_notes', arguments: {} });
    const messages = prompt.result?.messages as Array<{ content: { text?: string } }>;
    expect(messages[0]?.content.text).toBe('Here are my most recent notes, one per resource.');
  });
});
