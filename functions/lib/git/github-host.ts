import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import * as z from 'zod';
import { isUrl } from '../console-url.ts';
import {
  MAX_COMMENT_CHARS,
  MAX_STATUS_DESCRIPTION_CHARS,
  REPO_PERMISSIONS,
  type ApproverDirectory,
  type PullRequestAuthors,
  type CommitComments,
  type CommitStatuses,
  type GitHost,
  type IssueCommentReader,
  type PullRequestComments,
  type RepoIssues,
  type RepoPermission,
} from './git-host.ts';
import { GitHostError } from './git-host-error.ts';
import { diffTrees, type DiffTreesOptions, type TreeListing } from './diff-trees.ts';

/** A GitHub App's own credentials: pushgate then acts as the App's installation on each repository's owner. */
export interface GitHubAppCredentials {
  appId: string | number;
  /** The App's private key (PEM, PKCS#1 or PKCS#8). */
  privateKey: string;
}

export interface GitHubHostOptions {
  /** Installation or personal access token; without it (and without `app`) only public repositories can be read. */
  token?: string;
  /** Authenticate as a GitHub App instead of with a token: an installation token per repository owner. */
  app?: GitHubAppCredentials;
  /** REST API root (GitHub Enterprise: `https://<host>/api/v3`; local: the loopback server). */
  baseUrl?: string;
  /** Where repositories are cloned from: `<cloneBaseUrl>/<owner>/<name>.git`. */
  cloneBaseUrl?: string;
  /** Injected client (tests, a shared instance); `token`, `app` and `baseUrl` are then ignored. */
  octokit?: Octokit;
  /**
   * The login comments are written as, when known: skips asking GitHub (`GET /user` for a token,
   * `<slug>[bot]` from `GET /app` for an App).
   */
  login?: string;
  /** Bounds of a tree comparison (`diffTrees`): most listings per diff, listings at once. */
  treeDiff?: DiffTreesOptions;
}

/** Everything pushgate reads from and writes to GitHub; callers take the narrow interface they need. */
export type GitHubHost = GitHost &
  CommitStatuses &
  PullRequestComments &
  IssueCommentReader &
  CommitComments &
  ApproverDirectory &
  PullRequestAuthors &
  RepoIssues;

const ZERO_SHA = /^0+$/;

/**
 * GitHub lists at most 300 changed files for a whole comparison, on its first page only: `per_page`
 * and `page` page the commits, never the files, and the response has no "truncated" flag. A list
 * that long may be cut, so it counts as unknown and the trees are compared instead (`diffTrees`).
 * https://docs.github.com/en/rest/commits/commits#compare-two-commits ("Working with large comparisons")
 */
const COMPARE_FILES_LIMIT = 300;

/**
 * GET /repos/{owner}/{repo}/git/trees/{tree_sha}: the fields a tree comparison reads. `truncated`
 * is set past 100,000 entries or 7 MB of a recursive listing. https://docs.github.com/en/rest/git/trees#get-a-tree
 */
const TreeResponse = z.object({
  sha: z.string(),
  truncated: z.boolean(),
  tree: z.array(
    z.object({
      path: z.string(),
      mode: z.string(),
      type: z.enum(['blob', 'tree', 'commit']),
      sha: z.string(),
    }),
  ),
});

// Octokit logs every non-2xx response as an error, expected 404s included; failures reach the
// caller as GitHostError instead, and the handler logs them once, structured.
const QUIET_LOG = {
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: () => {},
};

/** How requests are authenticated: one client for a token, one per installation for an App. */
interface Clients {
  forRepo(owner: string, name: string): Promise<Octokit>;
  forOrg(org: string): Promise<Octokit>;
  /** The login this identity writes comments as; undefined when GitHub will not say. */
  identity(): Promise<string | undefined>;
}

/** GitHost and the narrow writers over the GitHub REST API (@octokit/rest), with a token or as a GitHub App. */
export function createGitHubHost(options: GitHubHostOptions = {}): GitHubHost {
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const clients =
    options.octokit !== undefined
      ? tokenClients(options.octokit, options.login)
      : options.app !== undefined
        ? appClients(options.app, baseUrl, options.login)
        : tokenClients(
            new Octokit({ auth: options.token, baseUrl, userAgent: 'pushgate', log: QUIET_LOG }),
            options.login,
          );
  const cloneBaseUrl = (options.cloneBaseUrl ?? 'https://github.com').replace(/\/+$/, '');
  const client = (repo: string) => {
    const { owner, name } = splitRepo(repo);
    return clients.forRepo(owner, name);
  };

  /** Two-dot tree comparison through the Git Trees API (GitHost.diffTrees). */
  const changedBetweenTrees = async (repo: string, from: string, to: string): Promise<string[] | undefined> => {
    if (ZERO_SHA.test(from) || ZERO_SHA.test(to)) return undefined;
    const { owner, name } = splitRepo(repo);
    const octokit = await client(repo);
    const readTree = async (treeish: string, recursive: boolean): Promise<TreeListing | undefined> => {
      try {
        // A commit sha names its tree here too. Needs only the App's `contents: read`.
        // https://docs.github.com/en/rest/git/trees#get-a-tree
        const { data } = await octokit.rest.git.getTree({
          owner,
          repo: name,
          tree_sha: treeish,
          ...(recursive ? { recursive: '1' } : {}),
        });
        const parsed = TreeResponse.safeParse(data);
        if (!parsed.success) {
          throw new GitHostError(`GitHub answered an unexpected tree for ${treeish.slice(0, 7)} in ${repo}`, {
            cause: parsed.error,
          });
        }
        return { sha: parsed.data.sha, truncated: parsed.data.truncated, entries: parsed.data.tree };
      } catch (error) {
        // No such commit or tree (gone after a force push), or not a tree-ish at all.
        if (statusOf(error) === 404 || statusOf(error) === 422) return undefined;
        throw toGitHostError(error, `could not read the tree of ${treeish.slice(0, 7)} in ${repo}`);
      }
    };
    return diffTrees(readTree, from, to, options.treeDiff);
  };

  const host: GitHubHost = {
    async getFile(repo, path, ref) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
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
      const comparison = await host.compare(repo, base, head);
      if (comparison === undefined || comparison.files !== undefined) return comparison?.files;
      // More files than compare lists: the same three-dot answer, from the merge base's tree.
      if (comparison.mergeBase === undefined) return undefined;
      return changedBetweenTrees(repo, comparison.mergeBase, head);
    },

    async compare(repo, base, head) {
      if (ZERO_SHA.test(base)) return undefined;
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
          owner,
          repo: name,
          basehead: `${base}...${head}`,
          // Files come with the first page whatever its size; one commit keeps the response small.
          per_page: 1,
        });
        const files = data.files ?? [];
        const mergeBase = data.merge_base_commit?.sha ? { mergeBase: data.merge_base_commit.sha } : {};
        if (files.length >= COMPARE_FILES_LIMIT) return { status: data.status, files: undefined, ...mergeBase };
        const paths = new Set<string>();
        for (const file of files) {
          paths.add(file.filename);
          // A file moved out of a project changes that project too.
          if (file.previous_filename) paths.add(file.previous_filename);
        }
        return { status: data.status, files: [...paths], ...mergeBase };
      } catch (error) {
        // The base is gone (force push) or unrelated to head: nobody knows what changed.
        if (statusOf(error) === 404) return undefined;
        throw toGitHostError(error, `could not compare ${base.slice(0, 7)}...${head.slice(0, 7)} in ${repo}`);
      }
    },

    diffTrees: changedBetweenTrees,

    async getDefaultBranch(repo) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
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
        const octokit = await client(repo);
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
        const octokit = await client(repo);
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
          ...(data.merged && data.merge_commit_sha ? { mergeCommitSha: data.merge_commit_sha } : {}),
          ...(data.user?.login ? { author: data.user.login } : {}),
        };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toGitHostError(error, `could not read pull request #${number} of ${repo}`);
      }
    },
    async pullRequestAuthorsOf(repo, sha) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        // https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit
        const pulls = await octokit.paginate(octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
          owner,
          repo: name,
          commit_sha: sha,
          per_page: 100,
        });
        const logins = pulls.map((pull) => pull.user?.login).filter((login): login is string => Boolean(login));
        return [...new Set(logins)];
      } catch (error) {
        // Unlike a missing file, an unknown commit is not "nobody wrote it": the caller refuses.
        throw toGitHostError(error, `could not list the pull requests of ${sha.slice(0, 7)} in ${repo}`);
      }
    },
    async resolveRef(repo, ref) {
      const { owner, name } = splitRepo(repo);
      const pull = /^(?:refs\/)?pull\/(\d+)\/head$/.exec(ref);
      try {
        const octokit = await client(repo);
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

    async setCommitStatus(repo, sha, status) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        // https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
        await octokit.rest.repos.createCommitStatus({
          owner,
          repo: name,
          sha,
          context: status.context,
          state: status.state,
          description: cut(status.description, MAX_STATUS_DESCRIPTION_CHARS),
          // GitHub refuses a target_url that is not a web address (the local stack's link is a command).
          ...(status.targetUrl !== undefined && isUrl(status.targetUrl) ? { target_url: status.targetUrl } : {}),
        });
      } catch (error) {
        throw toGitHostError(error, `could not set status ${status.context} on ${sha.slice(0, 7)} in ${repo}`);
      }
    },

    async createComment(repo, number, body) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        // https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
        const { data } = await octokit.rest.issues.createComment({
          owner,
          repo: name,
          issue_number: number,
          body: cut(body, MAX_COMMENT_CHARS),
        });
        return { id: data.id };
      } catch (error) {
        throw toGitHostError(error, `could not comment on #${number} of ${repo}`);
      }
    },

    async getIssueComment(repo, id) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        // https://docs.github.com/en/rest/issues/comments#get-an-issue-comment
        const { data } = await octokit.rest.issues.getComment({ owner, repo: name, comment_id: id });
        return { id: data.id, body: data.body ?? '', login: data.user?.login ?? '', issueUrl: data.issue_url };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toGitHostError(error, `could not read comment ${id} of ${repo}`);
      }
    },

    async upsertComment(repo, number, marker, body) {
      const { owner, name } = splitRepo(repo);
      if (marker === '' || !body.includes(marker)) throw new TypeError('the comment body must contain its marker');
      try {
        const octokit = await client(repo);
        const me = (await clients.identity())?.toLowerCase();
        let existing: number | undefined;
        // https://docs.github.com/en/rest/issues/comments#list-issue-comments (oldest first)
        for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
          owner,
          repo: name,
          issue_number: number,
          per_page: 100,
        })) {
          const mine = page.data.find((comment) => isOwnComment(comment, marker, me));
          if (mine) {
            existing = mine.id;
            break;
          }
        }
        if (existing === undefined) {
          const { data } = await octokit.rest.issues.createComment({
            owner,
            repo: name,
            issue_number: number,
            body: cut(body, MAX_COMMENT_CHARS),
          });
          return { id: data.id, created: true };
        }
        // https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
        await octokit.rest.issues.updateComment({
          owner,
          repo: name,
          comment_id: existing,
          body: cut(body, MAX_COMMENT_CHARS),
        });
        return { id: existing, created: false };
      } catch (error) {
        throw toGitHostError(error, `could not write the pushgate comment on #${number} of ${repo}`);
      }
    },

    async createCommitComment(repo, sha, body) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        // https://docs.github.com/en/rest/commits/comments#create-a-commit-comment
        const { data } = await octokit.rest.repos.createCommitComment({
          owner,
          repo: name,
          commit_sha: sha,
          body: cut(body, MAX_COMMENT_CHARS),
        });
        return { id: data.id };
      } catch (error) {
        throw toGitHostError(error, `could not comment on ${sha.slice(0, 7)} in ${repo}`);
      }
    },

    async findCommitComment(repo, sha, marker) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        const me = (await clients.identity())?.toLowerCase();
        // https://docs.github.com/en/rest/commits/comments#list-commit-comments
        for await (const page of octokit.paginate.iterator(octokit.rest.repos.listCommentsForCommit, {
          owner,
          repo: name,
          commit_sha: sha,
          per_page: 100,
        })) {
          const mine = page.data.find((comment) => isOwnComment(comment, marker, me));
          if (mine) return mine.id;
        }
        return undefined;
      } catch (error) {
        throw toGitHostError(error, `could not read the comments on ${sha.slice(0, 7)} in ${repo}`);
      }
    },

    async listOpenIssues(repo, label) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        const me = (await clients.identity())?.toLowerCase();
        // https://docs.github.com/en/rest/issues/issues#list-repository-issues (pull requests are issues too).
        // Not filtered by the label on GitHub's side: the label may have been dropped when the issue was
        // opened (see createIssue), and callers find their issues by the marker in the body anyway.
        const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
          owner,
          repo: name,
          state: 'open',
          per_page: 100,
        });
        return issues
          .filter((issue) => issue.pull_request === undefined || issue.pull_request === null)
          .filter((issue) => isOwn(issue.user, me))
          .map((issue) => ({ number: issue.number, title: issue.title, body: issue.body ?? '' }));
      } catch (error) {
        throw toGitHostError(error, `could not list the open issues labelled ${label} in ${repo}`);
      }
    },

    async createIssue(repo, issue) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        // https://docs.github.com/en/rest/issues/issues#create-an-issue
        const fields = {
          owner,
          repo: name,
          title: cut(issue.title, MAX_ISSUE_TITLE_CHARS),
          body: cut(issue.body, MAX_COMMENT_CHARS),
        };
        try {
          const { data } = await octokit.rest.issues.create({ ...fields, labels: issue.labels });
          return { number: data.number };
        } catch (error) {
          // A label the repository does not have can be refused (422) instead of created: the issue
          // matters more than its label.
          if ((error as { status?: number }).status !== 422 || !issue.labels?.length) throw error;
          const { data } = await octokit.rest.issues.create(fields);
          return { number: data.number };
        }
      } catch (error) {
        throw toGitHostError(error, `could not open an issue in ${repo}`);
      }
    },

    async closeIssue(repo, number, comment) {
      const { owner, name } = splitRepo(repo);
      try {
        const octokit = await client(repo);
        await octokit.rest.issues.createComment({
          owner,
          repo: name,
          issue_number: number,
          body: cut(comment, MAX_COMMENT_CHARS),
        });
        // https://docs.github.com/en/rest/issues/issues#update-an-issue
        await octokit.rest.issues.update({
          owner,
          repo: name,
          issue_number: number,
          state: 'closed',
          state_reason: 'completed',
        });
      } catch (error) {
        throw toGitHostError(error, `could not close issue #${number} of ${repo}`);
      }
    },

    async isTeamMember(org, teamSlug, login) {
      try {
        const octokit = await clients.forOrg(org);
        // https://docs.github.com/en/rest/teams/members#get-team-membership-for-a-user
        const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
          org,
          team_slug: teamSlug,
          username: login,
        });
        return data.state === 'active';
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw toGitHostError(error, `could not read ${login}'s membership of ${org}/${teamSlug}`);
      }
    },
  };
  return host;
}

/** One token for every repository: the identity is the token's user (`GET /user`). */
function tokenClients(octokit: Octokit, login: string | undefined): Clients {
  let identity: Promise<string | undefined> | undefined = login === undefined ? undefined : Promise.resolve(login);
  return {
    forRepo: async () => octokit,
    forOrg: async () => octokit,
    identity() {
      identity ??= octokit.rest.users.getAuthenticated().then(
        ({ data }) => data.login,
        (error: unknown) => {
          identity = undefined;
          // A token GitHub does not take fails every other call too: say so here.
          if (statusOf(error) === 401) throw toGitHostError(error, 'could not tell who the GitHub token belongs to');
          // An installation token cannot read /user (403): comments are then matched by marker and bot author.
          return undefined;
        },
      );
      return identity;
    },
  };
}

/**
 * A GitHub App: requests about a repository use an installation token of the App's installation on
 * the repository's owner. The installation is looked up once per owner (`GET /repos/{o}/{r}/installation`
 * with the App's JWT) and each installation has one client, whose auth-app cache keeps its token until
 * it is about to expire (tokens live an hour): one token per installation, not one per request.
 */
function appClients(app: GitHubAppCredentials, baseUrl: string, login: string | undefined): Clients {
  const appOctokit = new Octokit({
    authStrategy: createAppAuth,
    auth: { appId: app.appId, privateKey: app.privateKey },
    baseUrl,
    userAgent: 'pushgate',
    log: QUIET_LOG,
  });
  const installations = new Map<string, Promise<number>>();
  const installationClients = new Map<number, Octokit>();
  let identity: Promise<string | undefined> | undefined = login === undefined ? undefined : Promise.resolve(login);

  const clientOf = (installationId: number) => {
    let octokit = installationClients.get(installationId);
    if (!octokit) {
      octokit = new Octokit({
        authStrategy: createAppAuth,
        auth: { appId: app.appId, privateKey: app.privateKey, installationId },
        baseUrl,
        userAgent: 'pushgate',
        log: QUIET_LOG,
      });
      installationClients.set(installationId, octokit);
    }
    return octokit;
  };
  const installationOf = (owner: string, lookup: () => Promise<number>): Promise<number> => {
    const key = owner.toLowerCase();
    let id = installations.get(key);
    if (!id) {
      id = lookup().catch((error: unknown) => {
        installations.delete(key);
        if (statusOf(error) === 404)
          throw new GitHostError(`the GitHub App ${app.appId} is not installed on ${owner}`, {
            cause: error,
            status: 404,
          });
        throw toGitHostError(error, `could not find the GitHub App's installation on ${owner}`);
      });
      installations.set(key, id);
    }
    return id;
  };

  return {
    async forRepo(owner, name) {
      // https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app
      const id = await installationOf(owner, async () => {
        const { data } = await appOctokit.rest.apps.getRepoInstallation({ owner, repo: name });
        return data.id;
      });
      return clientOf(id);
    },
    async forOrg(org) {
      const id = await installationOf(org, async () => {
        try {
          const { data } = await appOctokit.rest.apps.getOrgInstallation({ org });
          return data.id;
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
          const { data } = await appOctokit.rest.apps.getUserInstallation({ username: org });
          return data.id;
        }
      });
      return clientOf(id);
    },
    identity() {
      // https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app: comments show `<slug>[bot]`.
      identity ??= appOctokit.rest.apps.getAuthenticated().then(
        ({ data }) => (data?.slug ? `${data.slug}[bot]` : undefined),
        (error: unknown) => {
          identity = undefined;
          throw toGitHostError(error, `could not read the GitHub App ${app.appId}`);
        },
      );
      return identity;
    },
  };
}

/**
 * A comment pushgate wrote with this marker: someone quoting the marker does not make their comment
 * pushgate's. When GitHub does not say who this token is (an installation token cannot read /user),
 * a bot's comment will do.
 */
function isOwnComment(
  comment: { body?: string | null; user?: { login: string; type?: string } | null },
  marker: string,
  me: string | undefined,
): boolean {
  if (!(comment.body ?? '').includes(marker)) return false;
  return isOwn(comment.user, me);
}

/** Written by this identity; a bot's when GitHub does not say who this identity is. */
function isOwn(user: { login: string; type?: string } | null | undefined, me: string | undefined): boolean {
  return me === undefined ? user?.type === 'Bot' : user?.login.toLowerCase() === me;
}

/** GitHub refuses an issue title longer than this. */
const MAX_ISSUE_TITLE_CHARS = 256;

/** At most `max` characters (UTF-16 units, as GitHub counts), the cut marked with an ellipsis. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
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
