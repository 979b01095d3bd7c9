import * as z from 'zod';
import { allows } from '../../../auth/scopes';
import { defineTool } from '../../../tools/define-tool';
import { NOTES_VIEW_ONLY } from './view-meta';

const output = z.object({
  read: z.boolean().describe('This connection may list, search and read the notes (notes:read)'),
  write: z.boolean().describe('This connection may create, change and delete them (notes:write)'),
});

/**
 * What the notes view needs and no model-visible tool tells: whether this grant may change notes,
 * so that a read-only grant gets a read-only view. App-only (hosts keep it from the model); it
 * reveals nothing a model could misuse, so a host without MCP Apps listing it is harmless.
 */
export default defineTool({
  name: 'notes_access',
  title: 'What this connection may do with notes',
  description:
    'For the notes view: whether this connection may read and whether it may change the signed-in user’s notes (the scopes the user granted this app).',
  inputSchema: z.object({}),
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'mcp',
  _meta: NOTES_VIEW_ONLY,
  async handler(_input, { scopes }) {
    const access = { read: allows(scopes, 'notes:read'), write: allows(scopes, 'notes:write') };
    let text = 'This connection may read your notes but not change them (it has no notes:write).';
    if (access.write) text = 'This connection may read and change your notes.';
    else if (!access.read) text = 'This connection may not read your notes (it has no notes:read).';
    return { structured: access, text };
  },
});
