/** Helpers of the GitHub tools: the shapes of GitHub's answers (docs.github.com/rest). */

/** Repositories per page of github_repos (GitHub's `per_page`). */
export const PER_PAGE = 30;

/** `owner/name` as GitHub allows them. */
export const REPOSITORY_PATTERN = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

export interface Repository {
  fullName: string;
  visibility: string;
  url: string;
  description: string | null;
}

/** A repository of GitHub's answer, or `null` when an entry is not one. */
export function repositoryOf(entry: unknown): Repository | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const repo = entry as Record<string, unknown>;
  if (typeof repo.full_name !== 'string' || typeof repo.html_url !== 'string') return null;
  const visibility =
    typeof repo.visibility === 'string' ? repo.visibility : repo.private === true ? 'private' : 'public';
  return {
    fullName: repo.full_name,
    visibility,
    url: repo.html_url,
    description: typeof repo.description === 'string' ? repo.description : null,
  };
}

/** The next page, from GitHub's `Link` header (`<…&page=3>; rel="next"`), or `null` on the last page. */
export function nextPageOf(link: string | null, page: number): number | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="next"/.exec(part);
    if (!match?.[1]) continue;
    try {
      const next = Number(new URL(match[1]).searchParams.get('page'));
      return Number.isInteger(next) && next > page ? next : page + 1;
    } catch {
      return page + 1;
    }
  }
  return null;
}
