import * as z from 'zod';
import { defineTool, ToolError } from '../../tools/define-tool';
import { apiAsUser } from '../../tools/support/upstream';
import { nextPageOf, PER_PAGE, repositoryOf } from './shared';

const input = z.object({
  page: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('Which page of 30 repositories: 1 (the default) is the most recently updated; then nextPage.'),
});

const repository = z.object({
  fullName: z.string().describe('owner/name'),
  visibility: z.string().describe('public, private or internal'),
  url: z.string().describe('The repository on GitHub'),
  description: z.string().nullable(),
});

const output = z.object({
  repositories: z.array(repository),
  page: z.number().int(),
  nextPage: z.number().int().nullable().describe('The page to ask for next, or null after the last one'),
});

export default defineTool({
  name: 'github_repos',
  title: 'List my GitHub repositories',
  description:
    'Lists the GitHub repositories of the signed-in user (their own, and those they collaborate on or reach through an organization), most recently updated first, 30 a page: names, visibility and URLs.',
  inputSchema: input,
  outputSchema: output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  scope: 'mcp',
  actsAs: 'github',
  async handler({ page = 1 }, context) {
    const github = await apiAsUser(context, 'github_repos', 'github');
    const query = new URLSearchParams({
      per_page: String(PER_PAGE),
      page: String(page),
      sort: 'updated',
      affiliation: 'owner,collaborator,organization_member',
    });
    const response = await github.fetch(`user/repos?${query}`);
    if (!response.ok) {
      await response.body?.cancel();
      throw new ToolError(
        `${github.name} did not list the repositories (HTTP ${response.status}). Try again later.`,
      );
    }
    const body: unknown = await response.json().catch(() => null);
    if (!Array.isArray(body))
      throw new ToolError(`${github.name} answered with something that is not a list.`);
    const repositories = body.map(repositoryOf).filter((repo) => repo !== null);
    const nextPage = nextPageOf(response.headers.get('Link'), page);
    const lines = repositories.map((repo) => `- ${repo.fullName} (${repo.visibility}): ${repo.url}`);
    const text =
      repositories.length === 0
        ? page === 1
          ? 'No repositories.'
          : `No repositories on page ${page}.`
        : `Repositories, page ${page}:\n${lines.join('\n')}${nextPage ? `\n\nMore: call github_repos with page ${nextPage}.` : ''}`;
    return { structured: { repositories, page, nextPage }, text };
  },
});
