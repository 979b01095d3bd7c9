import * as z from 'zod';
import { svgIcon } from '../../mcp/icons';
import { defineTool } from '../../tools/define-tool';

const input = z.object({});

const output = z.object({
  userId: z.string().describe('Stable id of the signed-in user: <provider>:<subject>'),
  email: z.string(),
  name: z.string(),
  provider: z.string().describe('The sign-in method the user came through'),
});

export default defineTool({
  name: 'whoami',
  title: 'Who am I',
  description:
    'Tells who is signed in to this server through this app: user id, email, name and sign-in method.',
  inputSchema: input,
  outputSchema: output,
  icons: [svgIcon('whoami')],
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'mcp',
  async handler(_input, { user }) {
    const structured = { userId: user.userId, email: user.email, name: user.name, provider: user.provider };
    return {
      structured,
      text: `You are ${user.name} <${user.email}> (${user.userId}), signed in with ${user.provider}.`,
    };
  },
});
