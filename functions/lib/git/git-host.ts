/**
 * What pushgate needs from the Git host, and nothing more (like the VCS client interface of
 * Atlantis, server/events/vcs/client.go): read a file at a commit, list the files a change touched,
 * tell CodeBuild where to clone from. GitHub implements it (github-host.ts); tests use a double.
 * `repo` is always `owner/name`. Implementations throw GitHostError for a failure that is worth
 * retrying (network, rate limit, 5xx, bad credentials); "not there" is a value, not an error.
 */
export interface GitHost {
  /** A file's text at `ref` (a commit sha or branch); undefined when the file does not exist there. */
  getFile(repo: string, path: string, ref: string): Promise<string | undefined>;

  /**
   * Paths (from the repository root) that differ between `base` and `head`, renames counted on both
   * sides, at any size (past compare's 300 files, from the merge base's tree). Undefined when the
   * answer is unknown (a base that no longer exists after a force push, a first push, trees too large
   * to walk): callers then treat every project as changed.
   */
  changedFiles(repo: string, base: string, head: string): Promise<string[] | undefined>;

  /**
   * GitHub's comparison `base...head`: how head relates to base, and the files that differ between
   * their merge base and head (renames on both sides). Undefined when either commit is unknown (a
   * base gone after a force push). `files` is undefined when the list is too long to be complete.
   */
  compare(repo: string, base: string, head: string): Promise<Comparison | undefined>;

  /**
   * Paths whose content, mode or type differs between the trees of two commits: a two-dot diff
   * (`git diff --name-only from to`), a rename counted as both paths, at any size (compare lists at
   * most 300 files). Undefined when either commit is unknown, or when the trees are too large to walk
   * within the host's request budget: callers then treat every project as changed. Optional so that
   * doubles without it still type-check; callers fall back to "unknown" without it.
   */
  diffTrees?(repo: string, from: string, to: string): Promise<string[] | undefined>;

  /** The repository's default branch (`main`): the branch whose pushgate.yml is trusted. */
  getDefaultBranch(repo: string): Promise<string>;

  /** The URL CodeBuild clones from (its `SourceLocationOverride`). */
  cloneUrl(repo: string): string;

  /**
   * The commit sha a ref points at now (a branch, `refs/pull/<n>/head`, …); undefined when there
   * is no such ref. Needed for comment commands, whose webhook does not carry the head commit.
   */
  resolveRef?(repo: string, ref: string): Promise<string | undefined>;

  /**
   * A pull request's head and base as they are now; undefined when there is no such pull request.
   * Comment commands need it: an `issue_comment` webhook names the pull request but not its commits,
   * its branches or whether it comes from a fork.
   */
  getPullRequest(repo: string, number: number): Promise<PullRequestInfo | undefined>;

  /** A user's role on the repository; `none` when they are not a collaborator. */
  getPermission(repo: string, login: string): Promise<RepoPermission>;
}

/** https://docs.github.com/en/rest/commits/commits#compare-two-commits */
export interface Comparison {
  status: 'ahead' | 'behind' | 'diverged' | 'identical';
  /** Undefined when GitHub's list may be cut (it lists at most 300 files for a whole comparison). */
  files: string[] | undefined;
  /** The merge base's sha, when the host says: what `files` is compared from. */
  mergeBase?: string;
}

/** GitHub's repository roles, weakest first. https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user */
export const REPO_PERMISSIONS = ['none', 'read', 'triage', 'write', 'maintain', 'admin'] as const;
export type RepoPermission = (typeof REPO_PERMISSIONS)[number];

export function canWrite(permission: RepoPermission): boolean {
  return REPO_PERMISSIONS.indexOf(permission) >= REPO_PERMISSIONS.indexOf('write');
}

export interface PullRequestInfo {
  number: number;
  headSha: string;
  headRef: string;
  baseRef: string;
  baseSha: string;
  /** The head lives in another repository: its code never runs with pushgate's credentials. */
  fromFork: boolean;
  /** A merged pull request is `closed` too. https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request */
  state: 'open' | 'closed';
  merged: boolean;
  /** The merge commit of a merged pull request: what the base branch's push deploys. */
  mergeCommitSha?: string;
  /** Who opened it (GitHub's `user.login`), not who merged it. */
  author?: string;
}

/**
 * Who wrote a change through a pull request: approvals refuse them as approvers of their own change
 * (the pusher of a merge commit is whoever merged, not who wrote it).
 */
export interface PullRequestAuthors {
  /**
   * The logins that opened the pull requests associated with the commit `sha`: the merged pull
   * request of a merge commit, the pull requests whose head it is. Empty when there are none; throws
   * GitHostError when GitHub cannot say (callers must then refuse, not assume nobody).
   * https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit
   */
  pullRequestAuthorsOf(repo: string, sha: string): Promise<string[]>;
}

// --- Write side: each caller takes only the interface it needs ----------------------------------

/** https://docs.github.com/en/rest/commits/statuses#create-a-commit-status */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatusInput {
  /** One status per context on a commit: a newer one with the same context replaces it. */
  context: string;
  state: CommitState;
  /** GitHub keeps at most 140 characters: a longer one is cut. */
  description: string;
  /** Only an http(s) URL becomes the status' link; anything else (a CLI command) goes into the description. */
  targetUrl?: string;
}

/** Commit statuses (the checks list of a commit and of a pull request). */
export interface CommitStatuses {
  setCommitStatus(repo: string, sha: string, status: CommitStatusInput): Promise<void>;
}

/** Comments on a pull request (its conversation: GitHub's issue comments). */
export interface PullRequestComments {
  /**
   * Edits in place the comment that contains `marker` (an HTML comment such as
   * `<!-- pushgate:plan -->`) and was written by this identity; creates one when there is none.
   */
  upsertComment(repo: string, number: number, marker: string, body: string): Promise<{ id: number; created: boolean }>;
  createComment(repo: string, number: number, body: string): Promise<{ id: number }>;
}

/** One pull request (or issue) comment as GitHub has it: who wrote it, what it says, on which issue. */
export interface IssueComment {
  id: number;
  body: string;
  /** The author's login, as GitHub says. */
  login: string;
  /** The API address of the issue or pull request it is on (`…/repos/<owner>/<repo>/issues/<number>`). */
  issueUrl: string;
}

/** Reads one comment by id (GitHub's issue comments), so that nobody has to be believed about it. */
export interface IssueCommentReader {
  /** undefined when there is no such comment in `repo`. */
  getIssueComment(repo: string, id: number): Promise<IssueComment | undefined>;
}

/** Comments on a commit (shown on the commit's page; a push has no pull request to comment on). */
export interface CommitComments {
  createCommitComment(repo: string, sha: string, body: string): Promise<{ id: number }>;
  /** The id of this identity's comment on the commit that contains `marker`; undefined when there is none. */
  findCommitComment?(repo: string, sha: string, marker: string): Promise<number | undefined>;
}

/** One open issue, as the drift reporter reads it. */
export interface OpenIssue {
  number: number;
  title: string;
  body: string;
}

/**
 * Issues of a repository that pushgate opens itself (a drift found by a check): it finds its own
 * first, so that a retried report opens none twice. Needs the Issues: write permission.
 */
export interface RepoIssues {
  /**
   * This identity's open issues (pull requests left out), newest first; callers find theirs by the
   * marker in the body. `label` names the kind (the GitHub host does not filter on it: GitHub may have
   * dropped the label when the issue was opened). An issue someone else opened, even with the label
   * and a copied marker, is not pushgate's.
   * https://docs.github.com/en/rest/issues/issues#list-repository-issues
   */
  listOpenIssues(repo: string, label: string): Promise<OpenIssue[]>;
  /**
   * https://docs.github.com/en/rest/issues/issues#create-an-issue; when GitHub refuses a label the
   * repository does not have (422), the issue is opened without it.
   */
  createIssue(repo: string, issue: { title: string; body: string; labels: string[] }): Promise<{ number: number }>;
  /** Comments on the issue, then closes it as completed. */
  closeIssue(repo: string, number: number, comment: string): Promise<void>;
}

/** Who may approve: repository roles and team memberships. */
export interface ApproverDirectory {
  getPermission(repo: string, login: string): Promise<RepoPermission>;
  /** An active member of `org`'s team `teamSlug` (a pending invitation is not membership). */
  isTeamMember(org: string, teamSlug: string, login: string): Promise<boolean>;
}

/** GitHub's maximum length of a comment body. */
export const MAX_COMMENT_CHARS = 65_536;
/** GitHub's maximum length of a commit status description. */
export const MAX_STATUS_DESCRIPTION_CHARS = 140;
