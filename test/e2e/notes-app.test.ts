// Notes as an MCP App, end to end: our server under `wrangler dev`, a small MCP Apps host built on
// ext-apps' AppBridge (test/e2e/support/apps-host.ts) rendering the ui:// view in Chromium the
// way web hosts do (a sandbox proxy on another origin), and the user working in the view: list,
// search, create, edit, delete with the view's own confirmation; a read-only grant; another
// user's note; the view read without notes:read. The note state is checked over MCP each time.
//
// UPDATE_SCREENSHOTS=1 writes the screenshots to docs/screenshots/ (committed); otherwise to test-results/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { Frame, FrameLocator, Page } from 'playwright-core';
import { HostConnection, openToolView, type RunningAppsHost, startAppsHost } from './support/apps-host.ts';
import { ARTIFACTS_DIR, type LaunchedBrowser, launchBrowser } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';
import { obtainAccessToken } from './support/token.ts';

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? join(process.cwd(), 'docs/screenshots') : ARTIFACTS_DIR;

let server: RunningServer;
let host: RunningAppsHost;
let browser: LaunchedBrowser;
const connections: HostConnection[] = [];

before(async () => {
  [server, host, browser] = await Promise.all([startServer(), startAppsHost(), launchBrowser()]);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  for (const connection of connections) await connection.close();
  await browser?.close();
  await host?.close();
  await server?.stop();
});

/** The host's connection for `email`, with a token carrying `scope`. */
async function connectAs(email: string, scope: string): Promise<HostConnection> {
  const { accessToken } = await obtainAccessToken(server.url, { email, scope });
  const connection = await new HostConnection(server.url, accessToken).connect();
  connections.push(connection);
  return connection;
}

/** A tool call over MCP (as the model would make it) that must succeed: its structured result. */
async function call(connection: HostConnection, name: string, args: Record<string, unknown> = {}) {
  const result = await connection.callTool(name, args, 'model');
  assert.equal(result.isError ?? false, false, JSON.stringify(result));
  return result.structuredContent as Record<string, unknown>;
}

function textOf(result: CallToolResult): string {
  return result.content.map((block) => (block.type === 'text' ? block.text : '')).join('\n');
}

async function titlesOver(connection: HostConnection): Promise<string[]> {
  const { notes } = (await call(connection, 'notes_list')) as { notes: Array<{ title: string }> };
  return notes.map((note) => note.title).sort();
}

/** A page as wide as the host's conversation column (for the screenshots). */
function newPage(): Promise<Page> {
  return browser.context.newPage().then(async (page) => {
    await page.setViewportSize({ width: 690, height: 900 });
    return page;
  });
}

/** The browser's requests and CSP complaints while a page is open. */
function watch(page: Page): { requests: string[]; violations: string[] } {
  const seen = { requests: [] as string[], violations: [] as string[] };
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.violations.push(message.text());
  });
  return seen;
}

/** Waits until the view shows `text` in the element `selector`. */
async function shows(view: FrameLocator, selector: string, text: string): Promise<void> {
  await view.locator(selector, { hasText: text }).first().waitFor({ state: 'visible' });
  assert.equal((await view.locator(selector).first().textContent())?.trim(), text);
}

/** Opens a note from the list and waits for the editor to show it. */
async function openNote(view: FrameLocator, title: string): Promise<void> {
  await view.locator('button.note', { hasText: title }).click();
  await view.locator('#editor').waitFor({ state: 'visible' });
  assert.equal(await view.getByLabel('Title').inputValue(), title);
}

async function screenshot(page: Page, name: string): Promise<void> {
  // The page's own height, inside a viewport tall enough: a full-page screenshot would resize the
  // viewport, and the view's frame (another process) may not have painted again by then.
  const height = await page.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height) + 16);
  await page.screenshot({
    path: join(SCREENSHOTS, `notes-app-${name}.png`),
    clip: { x: 0, y: 0, width: 690, height },
  });
}

/** The view's own frame (inside the sandbox proxy), to send it raw JSON-RPC as a hostile view would. */
function viewFrame(page: Page): Frame {
  const frame = page
    .frames()
    .find((candidate) => candidate.parentFrame()?.parentFrame() === page.mainFrame());
  assert.ok(frame, 'the view frame is there');
  return frame;
}

/** A `tools/call` posted by the view's frame to the host, and the host's answer. */
async function rawCallFromView(page: Page, params: { name: string; arguments: Record<string, unknown> }) {
  return viewFrame(page).evaluate(
    (request) =>
      new Promise<{ result?: CallToolResult; error?: { message: string } }>((resolve) => {
        const id = `raw-${Math.random()}`;
        window.addEventListener('message', function answer(event) {
          if (event.data?.id !== id) return;
          window.removeEventListener('message', answer);
          resolve(event.data);
        });
        window.parent.postMessage({ jsonrpc: '2.0', id, method: 'tools/call', params: request }, '*');
      }),
    params,
  );
}

test('the committed view (public/apps/notes.html) is what src/features/notes/app/view/ builds', () => {
  const check = spawnSync(process.execPath, ['src/features/notes/app/build.ts', '--check'], {
    encoding: 'utf8',
  });
  assert.equal(check.status, 0, check.stderr);
});

describe('the notes view in a host, in Chromium', { timeout: 300_000 }, () => {
  test('lists, searches, creates, edits and deletes (after confirming in the view); MCP agrees', async () => {
    const ada = await connectAs('ada-app@example.com', 'mcp notes:read notes:write');
    await call(ada, 'notes_create', { title: 'Shopping list', body: 'Milk, bread, coffee.' });
    const page = await newPage();
    const seen = watch(page);
    const view = await openToolView(page, host, ada, 'notes_list', {});

    // The view shows what notes_list answered the host.
    await shows(view, '#summary', '1 note.');
    await view.locator('button.note', { hasText: 'Shopping list' }).waitFor();
    assert.equal(await view.locator('#read-only').isVisible(), false);

    // Create.
    await view.getByRole('button', { name: 'New note' }).click();
    await view.getByLabel('Title').fill('Trip to Lisbon');
    await view.getByLabel('Text').fill('Book the train.');
    await view.getByRole('button', { name: 'Save' }).click();
    await shows(view, '#status', 'Saved “Trip to Lisbon”.');
    assert.deepEqual(await titlesOver(ada), ['Shopping list', 'Trip to Lisbon']);
    await view.getByRole('button', { name: 'Back to the list' }).click();
    await shows(view, '#summary', '2 notes.');
    await screenshot(page, 'list');

    // Search, then all again.
    await view.getByLabel('Search your notes').fill('lisbon');
    await view.getByRole('button', { name: 'Search' }).click();
    await shows(view, '#summary', '1 note contains “lisbon”.');
    assert.deepEqual(await view.locator('button.note strong').allTextContents(), ['Trip to Lisbon']);
    await view.getByRole('button', { name: 'Show all' }).click();
    await shows(view, '#summary', '2 notes.');

    // Open and edit.
    await openNote(view, 'Trip to Lisbon');
    assert.equal(await view.getByLabel('Text').inputValue(), 'Book the train.');
    await view.getByLabel('Text').fill('Book the train. Pack light.');
    await view.getByRole('button', { name: 'Save' }).click();
    await shows(view, '#status', 'Saved “Trip to Lisbon”.');
    const { notes } = (await call(ada, 'notes_search', { query: 'Lisbon' })) as {
      notes: Array<{ id: string }>;
    };
    const id = notes[0]?.id ?? '';
    const edited = (await call(ada, 'notes_get', { id })) as { note: { body: string } };
    assert.equal(edited.note.body, 'Book the train. Pack light.');
    await screenshot(page, 'edit');

    // Delete asks first, in the view; "Keep it" keeps it.
    await view.getByRole('button', { name: 'Delete', exact: true }).click();
    await shows(view, '#confirm-question', 'Delete “Trip to Lisbon”? This cannot be undone.');
    assert.equal(await view.getByRole('alertdialog').isVisible(), true);
    await screenshot(page, 'confirm-delete');
    await view.getByRole('button', { name: 'Keep it' }).click();
    await shows(view, '#status', 'Nothing was deleted.');
    assert.deepEqual(await titlesOver(ada), ['Shopping list', 'Trip to Lisbon']);

    await view.getByRole('button', { name: 'Delete', exact: true }).click();
    await view.getByRole('button', { name: 'Delete for good' }).click();
    await shows(view, '#status', 'Deleted “Trip to Lisbon”.');
    await shows(view, '#summary', '1 note.');
    assert.deepEqual(await titlesOver(ada), ['Shopping list']);
    const gone = await ada.callTool('notes_get', { id }, 'model');
    assert.equal(gone.isError, true);

    // The view made no request of its own: the browser only ever loaded the host's pages.
    const elsewhere = seen.requests.filter(
      (url) => !url.startsWith(host.url) && !url.startsWith(host.sandboxUrl),
    );
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(seen.violations, []);
    await page.close();
  });

  test('opened by notes_search it shows the matches; by notes_get, the note; a long list pages', async () => {
    const dan = await connectAs('dan-app@example.com', 'mcp notes:read notes:write');
    for (let n = 1; n <= 21; n++) {
      await call(dan, 'notes_create', {
        title: `Note ${String(n).padStart(2, '0')}`,
        body: n === 7 ? 'Lucky.' : '',
      });
    }

    const searchPage = await newPage();
    const search = await openToolView(searchPage, host, dan, 'notes_search', { query: 'lucky' });
    await shows(search, '#summary', '1 note contains “lucky”.');
    assert.equal(await search.getByLabel('Search your notes').inputValue(), 'lucky');
    assert.deepEqual(await search.locator('button.note strong').allTextContents(), ['Note 07']);
    await searchPage.close();

    const { notes } = (await call(dan, 'notes_search', { query: 'lucky' })) as {
      notes: Array<{ id: string }>;
    };
    const getPage = await newPage();
    const get = await openToolView(getPage, host, dan, 'notes_get', { id: notes[0]?.id });
    await get.locator('#editor').waitFor({ state: 'visible' });
    assert.equal(await get.getByLabel('Title').inputValue(), 'Note 07');
    assert.equal(await get.getByLabel('Text').inputValue(), 'Lucky.');
    await get.getByRole('button', { name: 'Back to the list' }).click();
    // notes_list answers 20 at a time: the rest comes with "Show more".
    await shows(get, '#summary', '21 notes.');
    assert.equal(await get.locator('button.note').count(), 20);
    await get.getByRole('button', { name: 'Show more' }).click();
    await get.locator('button.note', { hasText: 'Note 01' }).waitFor();
    assert.equal(await get.locator('button.note').count(), 21);
    assert.equal(await get.getByRole('button', { name: 'Show more' }).isVisible(), false);
    await getPage.close();
  });

  test("a read-only grant's view says so, and a write gets the step-up answer", async () => {
    const writer = await connectAs('reader-app@example.com', 'mcp notes:read notes:write');
    await call(writer, 'notes_create', { title: 'Recipes', body: 'Pancakes: flour, eggs, milk.' });
    const reader = await connectAs('reader-app@example.com', 'mcp notes:read');
    const page = await newPage();
    const view = await openToolView(page, host, reader, 'notes_list', {});

    await shows(view, '#summary', '1 note.');
    assert.equal(await view.locator('#read-only').isVisible(), true);
    await shows(
      view,
      '#notice',
      'Read-only: this connection may read your notes but not change them. Saving or deleting needs the notes:write permission, which your app can ask you for.',
    );

    // Reading works; saving is refused by the server (403) and the view shows the answer.
    await openNote(view, 'Recipes');
    assert.equal(await view.getByLabel('Text').inputValue(), 'Pancakes: flour, eggs, milk.');
    await view.getByLabel('Text').fill('Changed without permission.');
    await view.getByRole('button', { name: 'Save' }).click();
    await shows(
      view,
      '#error',
      'Could not save the note: Permission needed (insufficient_scope): The tool notes_update needs the mcp notes:write scopes. Allow "mcp notes:write" to go on.',
    );
    await screenshot(page, 'read-only');
    await view.getByRole('button', { name: 'Delete', exact: true }).click();
    await view.getByRole('button', { name: 'Delete for good' }).click();
    await view.locator('#error', { hasText: 'Could not delete the note: Permission needed' }).waitFor();
    await view.getByRole('button', { name: 'Back to the list' }).click();
    await view.getByRole('button', { name: 'New note' }).click();
    await view.getByLabel('Title').fill('Not allowed');
    await view.getByRole('button', { name: 'Save' }).click();
    await view
      .locator('#error', { hasText: 'The tool notes_create needs the mcp notes:write scopes' })
      .waitFor();

    // Nothing changed.
    const { notes } = (await call(writer, 'notes_list')) as { notes: Array<{ id: string; title: string }> };
    assert.deepEqual(
      notes.map((note) => note.title),
      ['Recipes'],
    );
    const kept = (await call(writer, 'notes_get', { id: notes[0]?.id })) as { note: { body: string } };
    assert.equal(kept.note.body, 'Pancakes: flour, eggs, milk.');
    await page.close();
  });

  test("another user's note id in the view's calls is not found, and the note is untouched", async () => {
    const bob = await connectAs('bob-app@example.com', 'mcp notes:read notes:write');
    const bobs = (await call(bob, 'notes_create', { title: 'Bob private', body: 'Only for Bob.' })) as {
      note: { id: string };
    };
    const carol = await connectAs('carol-app@example.com', 'mcp notes:read notes:write');
    await call(carol, 'notes_create', { title: 'Carol', body: 'Mine.' });
    const page = await newPage();
    const view = await openToolView(page, host, carol, 'notes_list', {});
    await shows(view, '#summary', '1 note.');

    // A list entry pointed at Bob's note: opening it finds nothing.
    await view
      .locator('button.note')
      .first()
      .evaluate((button, id) => {
        (button as HTMLElement).dataset.id = id;
      }, bobs.note.id);
    await view.locator('button.note').first().click();
    await shows(
      view,
      '#error',
      `Could not open the note: There is no note with id ${bobs.note.id}. notes_list and notes_search show the ids of your notes.`,
    );

    // The view's frame calling with Bob's id directly, as a compromised view could.
    const notFound = `There is no note with id ${bobs.note.id}. notes_list and notes_search show the ids of your notes.`;
    for (const params of [
      { name: 'notes_get', arguments: { id: bobs.note.id } },
      { name: 'notes_update', arguments: { id: bobs.note.id, title: 'Taken', body: 'by Carol' } },
      { name: 'notes_delete', arguments: { id: bobs.note.id, confirm: true } },
    ]) {
      const answer = await rawCallFromView(page, params);
      assert.equal(answer.result?.isError, true, `${params.name}: ${JSON.stringify(answer)}`);
      assert.equal(answer.result && textOf(answer.result), notFound);
    }
    const intact = (await call(bob, 'notes_get', { id: bobs.note.id })) as {
      note: { title: string; body: string };
    };
    assert.deepEqual([intact.note.title, intact.note.body], ['Bob private', 'Only for Bob.']);
    await page.close();
  });

  test('without notes:read the view cannot be read (step-up for notes:read)', async () => {
    const base = await connectAs('base-app@example.com', 'mcp');
    await assert.rejects(
      base.readView('ui://notes/view.html'),
      new Error(
        'Permission needed (insufficient_scope): The notes view needs the mcp notes:read scopes. Allow "mcp notes:read" to go on.',
      ),
    );
    assert.match(
      base.challenges.at(-1) ?? '',
      /^Bearer error="insufficient_scope", .*scope="mcp notes:read"/,
    );
  });
});
