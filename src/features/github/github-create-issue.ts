import * as z from 'zod';
import { defineTool, ToolError } from '../../tools/define-tool';
import { apiAsUser } from '../../tools/support/upstream';
import { REPOSITORY_PATTERN } from './shared';

const input = z.object({
  repository: z
    .string()
    .regex(REPOSITORY_PATTERN, 'owner/name, e.g. octocat/hello-world')
    .describe('The repository, as owner/name'),
  title: z.string().trim().min(1).max(256).describe('The issue’s title'),
  body: z.string().max(65_536).optional().describe('The issue’s text, Markdown'),
  confirm: z
    .boolean()
    .optional()
    .describe(
      'Only for apps that cannot ask the user themselves (MCP before 2026-07-28, or no elicitation): true once the user has said yes to opening this issue. Apps that can ask get a confirmation question instead, and this is ignored.',
    ),
});

const output = z.object({
  repository: z.string(),
  title: z.string(),
  created: z.boolean().describe('false when the user said no: nothing was opened'),
  number: z.number().int().nullable(),
  url: z.string().nullable(),
});

export default defineTool({
  name: 'github_create_issue',
  title: 'Open a GitHub issue',
  description:
    'Opens an issue in a GitHub repository as the signed-in user, after the user confirms: the app shows them a yes/no question. Apps that cannot ask (MCP before 2026-07-28) must ask the user themselves and pass confirm: true. Everyone who can see the repository sees the issue.',
  inputSchema: input,
  outputSchema: output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  scope: 'mcp',
  actsAs: 'github',
  async handler({ repository, title, body, confirm: confirmed }, context) {
    const github = await apiAsUser(context, 'github_create_issue', 'github');
    const confirmation = await context.confirm({
      message: `Open the issue "${title}" in ${repository} on ${github.name}, as you? Everyone who can see the repository will see it.`,
    });
    if (confirmation.status === 'declined') {
      return {
        structured: { repository, title, created: false, number: null, url: null },
        text: `Did not open the issue "${title}": the user did not confirm.`,
      };
    }
    if (confirmation.status === 'unavailable' && confirmed !== true) {
      throw new ToolError(
        `Opening an issue acts as the user on ${github.name}, and this app cannot show the user a confirmation. Ask the user whether to open the issue "${title}" in ${repository}; only if they say yes, call github_create_issue again with confirm: true.`,
      );
    }
    const [owner, name] = repository.split('/') as [string, string];
    const response = await github.fetch(
      `repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/issues`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title, body: body ?? '' }),
      },
    );
    if (response.status !== 201) {
      await response.body?.cancel();
      throw new ToolError(refusal(response.status, repository, github.name));
    }
    const issue = (await response.json().catch(() => ({}))) as { number?: unknown; html_url?: unknown };
    const number = typeof issue.number === 'number' ? issue.number : null;
    const url = typeof issue.html_url === 'string' ? issue.html_url : null;
    return {
      structured: { repository, title, created: true, number, url },
      text: `Opened issue #${number ?? '?'} "${title}" in ${repository}${url ? `: ${url}` : ''}.`,
    };
  },
});

/** Our words for GitHub's refusal: its own message never reaches the model. */
function refusal(status: number, repository: string, name: string): string {
  if (status === 404)
    return `There is no repository ${repository} on ${name}, or this account cannot see it.`;
  if (status === 410) return `${repository} has issues turned off.`;
  if (status === 403)
    return `${name} did not let this account open an issue in ${repository}: the account may not have access, or this server's ${name} sign-in was not given the scope to (GITHUB_SCOPES: public_repo or repo).`;
  if (status === 422) return `${name} did not accept this issue (HTTP 422): check the title and the text.`;
  return `${name} did not open the issue (HTTP ${status}).`;
}
