import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import {
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  ResourceTemplate,
} from '@modelcontextprotocol/server';
import { allows } from '../../../auth/scopes';
import { log } from '../../../lib/log';
import type { Registration } from '../../../mcp/feature';
import { scopeChallenge } from '../../../mcp/scope-challenge';
import { NOTES_VIEW_URI } from './view-meta';

/**
 * Notes as an MCP App (the MCP Apps extension, `io.modelcontextprotocol/ui`): one HTML view, the
 * `ui://` resource {@link NOTES_VIEW_URI}, that lists, searches, opens, creates, changes and
 * deletes the user's notes inside the chat. It talks to this server only through the host, by
 * calling the notes tools (./view/view.ts); its CSP metadata tells the host it loads nothing and
 * connects nowhere. The tools it shows declare it in `_meta` (./view-meta.ts).
 *
 * The HTML is built from ./view/ by ./build.ts into public/apps/notes.html and read here through
 * the ASSETS binding, so the page never weighs on the Worker's bundle.
 */

/** The built view, a static asset (public/apps/notes.html); also served, inert, at that path. */
const VIEW_ASSET = 'https://assets.invalid/apps/notes.html';

/**
 * The view's resource metadata (`_meta.ui`): no origin to connect to, no outside scripts, styles,
 * images or frames (everything is inlined), and a border around it.
 */
export const NOTES_VIEW_UI_META = {
  csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
  prefersBorder: true,
} as const;

/**
 * Registers the notes view (the notes feature's `register`, ../index.ts); the one tool only the
 * view calls, `notes_access`, is in the feature's tool list.
 */
export const registerNotesView: Registration = (server, { caller }) => {
  const config = {
    title: 'Notes',
    description:
      'Your notes as an interactive view (MCP Apps): list, search, open, create, change and delete them.',
    mimeType: RESOURCE_MIME_TYPE,
    _meta: { ui: NOTES_VIEW_UI_META },
    // A view with nothing to show without notes:read: reading it asks for that scope (step-up).
    scopeChallenge: scopeChallenge('notes:read', 'The notes view'),
    // The same page for everyone who may read notes; it changes only with a deployment.
    cacheHint: { ttlMs: 300_000, cacheScope: 'private' as const },
  };
  const read = async (uri: URL): Promise<ReadResourceResult> => {
    if (!allows(caller.scopes, 'notes:read')) {
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'The notes view needs the notes:read scope.');
    }
    const text = await viewHtml(caller.env);
    return {
      contents: [{ uri: uri.href, mimeType: RESOURCE_MIME_TYPE, text, _meta: { ui: NOTES_VIEW_UI_META } }],
    };
  };
  if (allows(caller.scopes, 'notes:read')) {
    server.registerResource('notes_view', NOTES_VIEW_URI, config, read);
  } else {
    // Listed only where it can be read, as the notes are (a list cannot be challenged per item);
    // its URI still answers, with the step-up challenge, through a template that lists nothing.
    server.registerResource(
      'notes_view',
      new ResourceTemplate(NOTES_VIEW_URI, { list: undefined }),
      config,
      read,
    );
  }
};

async function viewHtml(env: Env): Promise<string> {
  const response = await env.ASSETS.fetch(VIEW_ASSET);
  if (!response.ok) {
    log('error', 'notes_view_missing', { status: response.status });
    throw new ProtocolError(ProtocolErrorCode.InternalError, 'The notes view is missing from this server.');
  }
  return response.text();
}
