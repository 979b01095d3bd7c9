// Step-up authorization end to end (MCP authorization, scope challenge handling): an app granted
// only notes:read calls notes_create, gets 403 insufficient_scope naming the scopes it needs,
// sends the user back to the consent page in Chromium (who first grants less, then allows), and
// succeeds. And another user never sees this user's notes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { NotesApp } from './support/notes-app.ts';
import { type CallbackServer, startCallbackServer } from './support/oauth.ts';
import { type RunningServer, startServer } from './support/server.ts';
import { obtainAccessToken } from './support/token.ts';

const MODERN: ClientOptions = { versionNegotiation: { mode: { pin: '2026-07-28' } } };

let server: RunningServer;
let callbacks: CallbackServer;

before(async () => {
  server = await startServer();
  callbacks = await startCallbackServer();
});

after(async () => {
  await callbacks?.close();
  await server?.stop();
});

function challengeFor(scopes: string): string {
  return (
    `Bearer error="insufficient_scope", error_description="The tool notes_create needs the ${scopes} scopes", ` +
    `scope="${scopes}", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`
  );
}

describe('step-up from notes:read to notes:write with the SDK client and Chromium', {
  timeout: 240_000,
}, () => {
  test('403 insufficient_scope, re-consent in the browser, then the call succeeds', async () => {
    const app = new NotesApp(server.url, callbacks, 'Notes app', MODERN);
    try {
      const first = await app.signIn('mcp notes:read', 'reader@example.com', 'step-up-read');
      assert.match(first.consentText, /Read your notes\s+notes:read/);
      assert.doesNotMatch(first.consentText, /notes:write/);
      assert.equal(app.grantedScope, 'mcp notes:read');

      const listed = await app.call('notes_list', {});
      assert.deepEqual(listed.structuredContent, { notes: [], total: 0, offset: 0 });

      // notes_create needs notes:write: the server answers 403 before the tool runs.
      assert.equal(await app.callTool('notes_create', { title: 'Step-up' }), 'authorize');
      assert.deepEqual(app.challenges, [{ status: 403, wwwAuthenticate: challengeFor('mcp notes:write') }]);
      const stepUp = app.provider.authorizationUrl;
      assert.ok(stepUp, 'the SDK sent the user to authorize again');
      assert.equal(stepUp.searchParams.get('scope'), 'mcp notes:read notes:write');

      // The user unticks notes:write: the app still reads, and writing is challenged again.
      const fewer = await app.authorizeInBrowser({
        email: 'reader@example.com',
        label: 'step-up-untick',
        uncheck: ['notes:write'],
      });
      assert.match(fewer.consentText, /Create, change and delete your notes \(and read them\)\s+notes:write/);
      assert.equal(app.grantedScope, 'mcp notes:read');
      assert.equal(await app.callTool('notes_create', { title: 'Step-up' }), 'authorize');
      assert.equal(app.challenges.length, 2);

      // This time the user allows: the token carries notes:write and the call succeeds.
      await app.authorizeInBrowser({ email: 'reader@example.com', label: 'step-up-allow' });
      assert.equal(app.grantedScope, 'mcp notes:read notes:write');
      const created = await app.call('notes_create', { title: 'Step-up', body: 'made after consent' });
      assert.equal(created.isError ?? false, false, JSON.stringify(created));
      const note = (created.structuredContent as { note: { id: string; title: string } }).note;
      assert.equal(note.title, 'Step-up');
      assert.equal(app.challenges.length, 2, 'no further challenge');

      const after = await app.call('notes_list', {});
      assert.equal((after.structuredContent as { total: number }).total, 1);

      // Another user, with every scope, sees none of it: tools, resources or prompt.
      const other = await obtainAccessToken(server.url, {
        email: 'someone-else@example.com',
        scope: 'mcp notes:read notes:write',
      });
      const answers = await Promise.all([
        rpc(other.accessToken, 'tools/call', { name: 'notes_list', arguments: {} }),
        rpc(other.accessToken, 'tools/call', { name: 'notes_get', arguments: { id: note.id } }),
        rpc(other.accessToken, 'resources/list', {}),
        rpc(other.accessToken, 'resources/read', { uri: `notes://${note.id}` }),
        rpc(other.accessToken, 'prompts/get', { name: 'summarize_notes', arguments: {} }),
      ]);
      for (const answer of answers) assert.doesNotMatch(answer, /made after consent/);
      assert.match(answers[0] ?? '', /"total":0/);
      // No note listed: only the notes view (MCP Apps), the same for everyone.
      assert.match(answers[2] ?? '', /"resources":\[\{"uri":"ui:\/\/notes\/view.html",[^\]]*\]/);
    } finally {
      await app.close();
    }
  });
});

/** One 2025-era JSON-RPC request with a bearer token (no initialize needed: the server is stateless). */
async function rpc(token: string, method: string, params: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  assert.equal(response.status, 200, method);
  return response.text();
}
