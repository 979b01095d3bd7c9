import type { Feature } from '../../mcp/feature';
import githubCreateIssue from './github-create-issue';
import githubRepos from './github-repos';

/**
 * GitHub as the signed-in user: the tools call GitHub's REST API (or GitHub Enterprise Server's,
 * `GITHUB_BASE_URL`) with the GitHub token the grant holds (src/tools/support/upstream.ts). A
 * user who signed in another way is asked to link a GitHub account first.
 */
export const github: Feature = {
  name: 'github',
  tools: [githubRepos, githubCreateIssue],
};
