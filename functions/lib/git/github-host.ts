import { Octokit } from '@octokit/rest';
import { REPO_PERMISSIONS, type GitHost, type RepoPermission } from './git-host.ts';
import { GitHostError } from './git-host-error.ts';

export interface GitHubHostOptions {
  /** Installation or personal access token; without it only public repositories can be read. */
  token?: string;
  /** REST API root (GitHub Enterprise: `https://<host>/api/v3`; local: the loopback server). */
  baseUrl?: string;
  /** Where repositories are cloned from: `<cloneBaseUrl>/<owner>/<name>.git`. */
  cloneBaseUrl?: string;
  /** Injected client (tests, a shared instance); `token` and `baseUrl` are then ignored. */
  octokit?: Octokit;
}

const ZERO_SHA = /^0+$/;

/**
 * GitHub lists at most 300 changed files in a comparison, and only on its first page: files are not
 * paginated. A list that long may be truncated, so it counts as unknown (every project changed).
 * https://docs.github.com/en/rest/commits/commits#compare-two-commits
 */
const COMPARE_FILES_LIMIT = 300;

/** GitHost over the GitHub REST API (@octokit/rest). */
export function createGitHubHost(options: GitHubHostOptions = {}): GitHost {
  const octokit =
    options.octokit ??
    new Octokit({
      auth: options.token,
      baseUrl: (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
      userAgent: 'pushgate',
      // Octokit logs every non-2xx response as an error, expected 404s included; failures reach the
      // caller as GitHostError instead, and the handler logs them once, structured.
      log: { debug: () => {}, info: () => {}, warn: (message: string) => console.warn(message), error: () => {} },
    });
  const cloneBaseUrl = (options.cloneBaseUrl ?? 'https://github.com').replace(/\/+$/, '');

  const host: GitHost = {
    async getFile(repo, path, ref) {
      const { owner, name } = splitRepo(repo);
      try {
        // The raw media type returns the file itself (up to 100 MB) instead of base64 inside JSON.
        // https://docs.github.com/en/rest/repos/contents#get-repository-content
        const response = await octokit.rest.repos.getContent({
          owner,
          repo: name,
          path,
          ref,
          mediaType: { format: 'raw' },
        });
        const data: unknown = response.data;
        if (typeof data === 'string') return data;
        // Octokit hands back bytes when the response names no text charset.
        if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
        throw new GitHostError(`${path} at ${ref} in ${repo} is not a file`);
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toGitHostError(error, `could not read ${path} at ${ref} from ${repo}`);
      }
    },

    async changedFiles(repo, base, head) {
      if (ZERO_SHA.test(base)) return undefined;
      return (await host.compare(repo, base, head))?.files;
    },

    async compare(repo, base, head) {
      if (ZERO_SHA.test(base)) return undefined;
      const { owner, name } = splitRepo(repo);
      try {
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
          owner,
          repo: name,
          basehead: `${base}...${head}`,
          // Files come with the first page whatever its size; one commit keeps the response small.
          per_page: 1,
        });
        const files = data.files ?? [];
        if (files.length >= COMPARE_FILES_LIMIT) return { status: data.status, files: undefined };
        const paths = new Set<string>();
        for (const file of files) {
          paths.add(file.filename);
          // A file moved out of a project changes that project too.
          if (file.previous_filename) paths.add(file.previous_filename);
        }
        return { status: data.status, files: [...paths] };
      } catch (error) {
        // The base is gone (force push) or unrelated to head: nobody knows what changed.
        if (statusOf(error) === 404) return undefined;
        throw toGitHostError(error, `could not compare ${base.slice(0, 7)}...${head.slice(0, 7)} in ${repo}`);
      }
    },

    async getDefaultBranch(repo) {
      const { owner, name } = splitRepo(repo);
      try {
        // https://docs.github.com/en/rest/repos/repos#get-a-repository
        const { data } = await octokit.rest.repos.get({ owner, repo: name });
        return data.default_branch;
      } catch (error) {
        throw toGitHostError(error, `could not read ${repo}`);
      }
    },

    cloneUrl(repo) {
      return `${cloneBaseUrl}/${repo}.git`;
    },

    async getPermission(repo, login) {
      const { owner, name } = splitRepo(repo);
      try {
        // role_name distinguishes triage and maintain; `permission` folds them into read and write.
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
          owner,
          repo: name,
          username: login,
        });
        const role = (data.role_name ?? data.permission) as string;
        return (REPO_PERMISSIONS as readonly string[]).includes(role) ? (role as RepoPermission) : 'none';
      } catch (error) {
        if (statusOf(error) === 404) return 'none';
        throw toGitHostError(error, `could not read ${login}'s permission on ${repo}`);
      }
    },
    async getPullRequest(repo, number) {
      const { owner, name } = splitRepo(repo);
      try {
        // https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
        const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
        return {
          number,
          headSha: data.head.sha,
          headRef: data.head.ref,
          baseRef: data.base.ref,
          baseSha: data.base.sha,
          fromFork: (data.head.repo?.full_name ?? '').toLowerCase() !== repo.toLowerCase(),
          state: data.state,
          merged: data.merged,
        };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toGitHostError(error, `could not read pull request #${number} of ${repo}`);
      }
    },
    async resolveRef(repo, ref) {
      const { owner, name } = splitRepo(repo);
      const pull = /^(?:refs\/)?pull\/(\d+)\/head$/.exec(ref);
      try {
        if (pull) {
          const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: Number(pull[1]) });
          return data.head.sha;
        }
        // Accepts a sha, `heads/<branch>` or a bare branch name, `tags/<tag>`.
        // https://docs.github.com/en/rest/commits/commits#get-a-commit
        const { data } = await octokit.rest.repos.getCommit({ owner, repo: name, ref: ref.replace(/^refs\//, '') });
        return data.sha;
      } catch (error) {
        if (statusOf(error) === 404 || statusOf(error) === 422) return undefined;
        throw toGitHostError(error, `could not resolve ${ref} in ${repo}`);
      }
    },
  };
  return host;
}

function splitRepo(repo: string): { owner: string; name: string } {
  const slash = repo.indexOf('/');
  if (slash <= 0 || slash === repo.length - 1) throw new GitHostError(`expected owner/name, got ${repo}`);
  return { owner: repo.slice(0, slash), name: repo.slice(slash + 1) };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Octokit's RequestError redacts the token from its request; its message is GitHub's own. */
function toGitHostError(error: unknown, message: string): GitHostError {
  if (error instanceof GitHostError) return error;
  const status = statusOf(error);
  const detail = status === undefined ? (error instanceof Error ? error.message : String(error)) : `HTTP ${status}`;
  return new GitHostError(`${message}: ${detail}`, { cause: error, ...(status === undefined ? {} : { status }) });
}
