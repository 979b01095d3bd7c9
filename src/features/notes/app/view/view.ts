/**
 * The notes view (MCP Apps, SEP-1865): runs in the host's sandboxed iframe and talks to the host
 * only, with JSON-RPC 2.0 over `postMessage` ("Transport Layer"): `ui/initialize`, then
 * `tools/call` for every read and write; the host passes each call on to our server, with the
 * user's grant. It makes no network request of its own (its CSP metadata says it may not).
 *
 * Written against the protocol directly, with the ext-apps package's types: its `App` class brings
 * the whole MCP client SDK and zod into the page (about 650 KB minified), for the four messages
 * used here. Everything shown is set with `textContent`: nothing from a note is parsed as HTML.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import type {
  McpUiHostContext,
  McpUiInitializeRequest,
  McpUiInitializeResult,
  McpUiToolCancelledNotification,
  McpUiToolInputNotification,
} from '@modelcontextprotocol/ext-apps';
import { NOTE_LIMITS } from '../../../notes/limits';

interface NoteSummary {
  id: string;
  title: string;
  excerpt: string;
  updatedAt: string;
}

interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

/* ------------------------------------------------------------------ the host bridge */

interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: { message?: unknown };
}

const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
let nextId = 1;

function post(message: Record<string, unknown>): void {
  // The view's own origin is opaque and the host's unknown to it: only its parent is addressed.
  window.parent.postMessage({ jsonrpc: '2.0', ...message }, '*');
}

function request<T>(method: string, params: object): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
    post({ id, method, params });
  });
}

function notify(method: string, params: object = {}): void {
  post({ method, params });
}

/**
 * Calls one of our tools through the host. A call the host or the server refused (a JSON-RPC
 * error, such as a missing scope) throws; a tool's own failure is a result with `isError`.
 */
function callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return request<CallToolResult>('tools/call', { name, arguments: args });
}

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== window.parent) return;
  const message = event.data as JsonRpcMessage | null;
  if (typeof message !== 'object' || message === null || message.jsonrpc !== '2.0') return;
  if (typeof message.method === 'string') {
    if (message.id === undefined) onNotification(message.method, message.params);
    else answer(message.id, message.method);
    return;
  }
  if (typeof message.id !== 'number') return;
  const waiting = pending.get(message.id);
  if (!waiting) return;
  pending.delete(message.id);
  if (message.error) waiting.reject(new Error(String(message.error.message ?? 'The host refused.')));
  else waiting.resolve(message.result);
});

/** The host's requests: `ping`, and `ui/resource-teardown` (nothing to save: every change is sent at once). */
function answer(id: unknown, method: string): void {
  if (method === 'ping' || method === 'ui/resource-teardown') post({ id, result: {} });
  else post({ id, error: { code: -32601, message: `The notes view does not handle ${method}.` } });
}

function onNotification(method: string, params: unknown): void {
  if (method === 'ui/notifications/tool-input') {
    const args = (params as McpUiToolInputNotification['params'] | undefined)?.arguments;
    if (typeof args?.query === 'string') elements.query.value = args.query;
  } else if (method === 'ui/notifications/tool-result') {
    showToolResult(params as CallToolResult);
  } else if (method === 'ui/notifications/tool-cancelled') {
    const reason = (params as McpUiToolCancelledNotification['params'] | undefined)?.reason;
    showError(`The call was cancelled${reason ? `: ${reason}` : '.'}`);
    elements.summary.textContent = '';
  } else if (method === 'ui/notifications/host-context-changed') {
    applyHostContext(params as McpUiHostContext);
  }
}

/* ------------------------------------------------------------------ the page */

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The notes view has no #${id}.`);
  return element as T;
}

const elements = {
  main: byId<HTMLElement>('app'),
  readOnly: byId<HTMLElement>('read-only'),
  notice: byId<HTMLElement>('notice'),
  error: byId<HTMLElement>('error'),
  status: byId<HTMLElement>('status'),
  browse: byId<HTMLElement>('browse'),
  query: byId<HTMLInputElement>('query'),
  search: byId<HTMLButtonElement>('search'),
  showAll: byId<HTMLButtonElement>('show-all'),
  summary: byId<HTMLElement>('summary'),
  notes: byId<HTMLUListElement>('notes'),
  more: byId<HTMLButtonElement>('more'),
  newNote: byId<HTMLButtonElement>('new'),
  editor: byId<HTMLElement>('editor'),
  heading: byId<HTMLElement>('editor-heading'),
  title: byId<HTMLInputElement>('title'),
  body: byId<HTMLTextAreaElement>('body'),
  dates: byId<HTMLElement>('dates'),
  save: byId<HTMLButtonElement>('save'),
  remove: byId<HTMLButtonElement>('delete'),
  back: byId<HTMLButtonElement>('back'),
  confirm: byId<HTMLElement>('confirm'),
  question: byId<HTMLElement>('confirm-question'),
  confirmDelete: byId<HTMLButtonElement>('confirm-delete'),
  confirmKeep: byId<HTMLButtonElement>('confirm-keep'),
};

const state = {
  /** What the list shows: all notes (paged) or the answer to a search. */
  mode: 'list' as 'list' | 'search',
  query: '',
  notes: [] as NoteSummary[],
  total: 0,
  /** The note in the editor; `null` while writing a new one. */
  open: null as Note | null,
  dates: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
};

elements.title.maxLength = NOTE_LIMITS.titleLength;
elements.body.maxLength = NOTE_LIMITS.bodyLength;
elements.query.maxLength = NOTE_LIMITS.queryLength;

function textOf(result: CallToolResult): string {
  const texts = (result.content ?? []).flatMap((block) => (block.type === 'text' ? [block.text] : []));
  return texts.join('\n') || 'The tool failed without saying why.';
}

/** The structured result of a call that succeeded; a failed call throws its message. */
function structured(result: CallToolResult): Record<string, unknown> {
  if (result.isError) throw new Error(textOf(result));
  return (result.structuredContent ?? {}) as Record<string, unknown>;
}

function isSummary(value: unknown): value is NoteSummary {
  const note = value as NoteSummary | null;
  return (
    typeof note === 'object' && note !== null && typeof note.id === 'string' && typeof note.title === 'string'
  );
}

function isNote(value: unknown): value is Note {
  return isSummary(value) && typeof (value as unknown as Note).body === 'string';
}

function showError(message: string): void {
  elements.error.textContent = message;
  elements.error.hidden = false;
}

function say(message: string): void {
  elements.status.textContent = message;
}

/** Runs one user action: buttons off meanwhile, any failure shown as `failure: why`. */
async function act(failure: string, work: () => Promise<void>): Promise<void> {
  elements.error.hidden = true;
  say('');
  elements.main.setAttribute('aria-busy', 'true');
  for (const button of document.querySelectorAll('button')) button.disabled = true;
  try {
    await work();
  } catch (error) {
    showError(`${failure}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    for (const button of document.querySelectorAll('button')) button.disabled = false;
    elements.main.setAttribute('aria-busy', 'false');
  }
}

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : state.dates.format(date);
}

/* ------------------------------------------------------------------ the list */

function renderList(): void {
  elements.notes.replaceChildren(
    ...state.notes.map((note) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'note';
      button.dataset.id = note.id;
      const title = document.createElement('strong');
      title.textContent = note.title;
      const excerpt = document.createElement('span');
      excerpt.className = 'excerpt';
      excerpt.textContent = note.excerpt;
      const updated = document.createElement('time');
      updated.dateTime = note.updatedAt;
      updated.textContent = when(note.updatedAt);
      button.append(title, excerpt, updated);
      item.append(button);
      return item;
    }),
  );
  const count = `${state.total} ${state.total === 1 ? 'note' : 'notes'}`;
  if (state.mode === 'search') {
    elements.summary.textContent =
      state.total === 0
        ? `No note contains “${state.query}”.`
        : `${count} ${state.total === 1 ? 'contains' : 'contain'} “${state.query}”.`;
  } else {
    elements.summary.textContent = state.total === 0 ? 'You have no notes yet.' : `${count}.`;
  }
  elements.showAll.hidden = state.mode !== 'search';
  elements.more.hidden = state.mode !== 'list' || state.notes.length >= state.total;
}

function applyPage(data: Record<string, unknown>, mode: 'list' | 'search', append = false): void {
  const notes = Array.isArray(data.notes) ? data.notes.filter(isSummary) : [];
  state.mode = mode;
  state.notes = append ? [...state.notes, ...notes] : notes;
  state.total = typeof data.total === 'number' ? data.total : state.notes.length;
  renderList();
}

async function loadList(): Promise<void> {
  applyPage(structured(await callTool('notes_list', {})), 'list');
}

async function refresh(): Promise<void> {
  if (state.mode === 'search' && state.query) await runSearch(state.query);
  else await loadList();
}

async function runSearch(query: string): Promise<void> {
  state.query = query;
  applyPage(structured(await callTool('notes_search', { query })), 'search');
}

/** What the tool that opened the view answered (notes_list, notes_search or notes_get). */
function showToolResult(result: CallToolResult): void {
  if (result.isError) {
    showError(textOf(result));
    elements.summary.textContent = '';
    return;
  }
  const data = (result.structuredContent ?? {}) as Record<string, unknown>;
  if (isNote(data.note)) {
    openEditor(data.note);
    void act('Could not list your notes', loadList);
  } else if ('offset' in data) {
    applyPage(data, 'list');
  } else {
    state.query = elements.query.value;
    applyPage(data, 'search');
  }
}

/* ------------------------------------------------------------------ the editor */

function openEditor(note: Note | null): void {
  state.open = note;
  elements.heading.textContent = note ? 'Edit the note' : 'New note';
  elements.title.value = note?.title ?? '';
  elements.body.value = note?.body ?? '';
  elements.dates.textContent = note
    ? `Created ${when(note.createdAt)}, changed ${when(note.updatedAt)}.`
    : '';
  elements.remove.hidden = note === null;
  elements.confirm.hidden = true;
  elements.browse.hidden = true;
  elements.editor.hidden = false;
  elements.title.focus();
}

function closeEditor(): void {
  state.open = null;
  say('');
  elements.editor.hidden = true;
  elements.browse.hidden = false;
}

async function save(): Promise<void> {
  const title = elements.title.value;
  const body = elements.body.value;
  const result = state.open
    ? await callTool('notes_update', { id: state.open.id, title, body })
    : await callTool('notes_create', { title, body });
  const saved = structured(result).note;
  if (!isNote(saved)) throw new Error('The server answered without the note.');
  openEditor(saved);
  say(`Saved “${saved.title}”.`);
  await refresh();
}

function askToDelete(): void {
  if (!state.open) return;
  elements.question.textContent = `Delete “${state.open.title}”? This cannot be undone.`;
  elements.confirm.hidden = false;
  elements.confirmKeep.focus();
}

async function deleteOpenNote(): Promise<void> {
  const note = state.open;
  if (!note) return;
  elements.confirm.hidden = true;
  // The user has just said yes here, in the view: confirm: true is the answer notes_delete asks
  // for from apps that ask the user themselves. A host that can also ask will ask again.
  const data = structured(await callTool('notes_delete', { id: note.id, confirm: true }));
  if (data.deleted !== true) {
    say(`Kept “${note.title}”.`);
    return;
  }
  closeEditor();
  say(`Deleted “${note.title}”.`);
  await refresh();
}

/* ------------------------------------------------------------------ wiring */

elements.search.addEventListener('click', () => {
  const query = elements.query.value.trim();
  void act('Could not search your notes', () => (query ? runSearch(query) : loadList()));
});
elements.query.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') elements.search.click();
});
elements.showAll.addEventListener('click', () => {
  elements.query.value = '';
  state.query = '';
  void act('Could not list your notes', loadList);
});
elements.more.addEventListener('click', () => {
  void act('Could not list more notes', async () => {
    const page = structured(await callTool('notes_list', { offset: state.notes.length }));
    applyPage(page, 'list', true);
  });
});
elements.notes.addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>('button.note');
  const id = button?.dataset.id;
  if (!id) return;
  void act('Could not open the note', async () => {
    const note = structured(await callTool('notes_get', { id })).note;
    if (!isNote(note)) throw new Error('The server answered without the note.');
    openEditor(note);
  });
});
elements.newNote.addEventListener('click', () => openEditor(null));
elements.save.addEventListener('click', () => void act('Could not save the note', save));
elements.back.addEventListener('click', closeEditor);
elements.remove.addEventListener('click', askToDelete);
elements.confirmKeep.addEventListener('click', () => {
  elements.confirm.hidden = true;
  say('Nothing was deleted.');
});
elements.confirmDelete.addEventListener('click', () => void act('Could not delete the note', deleteOpenNote));

/** The host's theme, fonts and colours (CSS variables), and the user's locale and time zone. */
function applyHostContext(context: McpUiHostContext | undefined): void {
  if (!context) return;
  const root = document.documentElement;
  if (context.theme === 'light' || context.theme === 'dark') root.style.colorScheme = context.theme;
  for (const [name, value] of Object.entries(context.styles?.variables ?? {})) {
    if (name.startsWith('--') && typeof value === 'string') root.style.setProperty(name, value);
  }
  if (context.locale || context.timeZone) {
    try {
      const options = { dateStyle: 'medium', timeStyle: 'short', timeZone: context.timeZone } as const;
      state.dates = new Intl.DateTimeFormat(context.locale, options);
    } catch {
      // An unknown locale or zone: keep the browser's.
    }
  }
}

async function showAccess(): Promise<void> {
  const access = structured(await callTool('notes_access', {}));
  if (access.write === true) return;
  elements.readOnly.hidden = false;
  elements.notice.hidden = false;
  elements.notice.textContent =
    access.read === true
      ? 'Read-only: this connection may read your notes but not change them. Saving or deleting needs the notes:write permission, which your app can ask you for.'
      : 'This connection may not read your notes: it needs the notes:read permission.';
}

async function start(): Promise<void> {
  const params: McpUiInitializeRequest['params'] = {
    appInfo: { name: 'notes-view', version: '1.0.0' },
    appCapabilities: { availableDisplayModes: ['inline'] },
    protocolVersion: '2026-01-26',
  };
  const initialized = await request<McpUiInitializeResult>('ui/initialize', params);
  applyHostContext(initialized.hostContext);
  notify('ui/notifications/initialized');
  // The host sizes the frame to the page (flexible height).
  new ResizeObserver(() => {
    notify('ui/notifications/size-changed', {
      height: Math.ceil(elements.main.getBoundingClientRect().height),
    });
  }).observe(elements.main);
  await act('Could not tell what this connection may do', showAccess);
  // Opened by a tool call, the view gets its result (`tool-result`); opened on its own, it asks.
  if (!initialized.hostContext?.toolInfo) await act('Could not list your notes', loadList);
}

start().catch((error: unknown) => showError(`The notes view could not start: ${String(error)}`));
