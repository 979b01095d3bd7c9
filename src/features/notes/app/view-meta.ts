/**
 * The notes view's address and the `_meta` that ties a tool to it (MCP Apps, SEP-1865: "Resource
 * Discovery"). A leaf module: the notes tools import it without importing the view's server code.
 */

/** The notes view: an MCP Apps UI resource (`ui://`), served by ./index.ts. */
export const NOTES_VIEW_URI = 'ui://notes/view.html';

/**
 * `_meta` of a notes tool whose result the notes view shows: a host with MCP Apps renders the view
 * beside the call and hands it the result; any other client keeps the complete text result. The
 * flat `ui/resourceUri` key is the deprecated spelling that hosts from before 2026-01-26 read
 * (ext-apps' own `registerAppTool` sets both).
 */
export const SHOWN_IN_NOTES_VIEW = {
  ui: { resourceUri: NOTES_VIEW_URI },
  'ui/resourceUri': NOTES_VIEW_URI,
} as const;

/**
 * `_meta` of a tool only the notes view calls: hosts with MCP Apps keep it from the model
 * (`visibility: ['app']`). Clients without MCP Apps still list it, so such a tool must be harmless
 * in a model's hands too.
 */
export const NOTES_VIEW_ONLY = {
  ui: { resourceUri: NOTES_VIEW_URI, visibility: ['app'] },
  'ui/resourceUri': NOTES_VIEW_URI,
} as const;
