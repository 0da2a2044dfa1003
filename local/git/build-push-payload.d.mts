/** The commit before a branch existed / after it was deleted. */
export declare const ZERO_SHA: '0000000000000000000000000000000000000000';

export interface PushPayloadOptions {
  /** Path of the bare repository, after its refs were updated. */
  bareRepo: string;
  /** `owner/name`. */
  repoFullName: string;
  /** Full ref, e.g. `refs/heads/main`. */
  ref: string;
  /** The old value of the ref; ZERO_SHA for a new branch. */
  before: string;
  /** The new value; ZERO_SHA for a deleted branch. */
  after: string;
  /** Who pushed (`name` is a login, as on GitHub); default the head commit's committer (the local user for a deletion). */
  pusher?: { name: string; email: string };
  /** `sender.login`; default `pusher.name`. */
  sender?: string;
  /** Email → GitHub login, for `username` fields and the sender. */
  logins?: Record<string, string>;
  /** Web address of the repository (commit and compare links); default `https://github.com/<repoFullName>`. */
  htmlUrl?: string;
  /** `repository.clone_url`, e.g. the bare repository's path for a local clone; default `<htmlUrl>.git`. */
  cloneUrl?: string;
  /** Default: the bare repository's HEAD branch. */
  defaultBranch?: string;
  private?: boolean;
}

export interface PushCommitPerson {
  name: string;
  email: string;
  username: string;
}

export interface PushCommit {
  id: string;
  tree_id: string;
  distinct: boolean;
  message: string;
  timestamp: string;
  url: string;
  author: PushCommitPerson;
  committer: PushCommitPerson;
  added: string[];
  removed: string[];
  modified: string[];
}

export interface PushUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  type: 'User';
  site_admin: boolean;
}

export interface PushRepository {
  id: number;
  node_id: string;
  name: string;
  full_name: string;
  private: boolean;
  owner: PushUser & { name: string; email: string | null };
  html_url: string;
  description: string | null;
  fork: boolean;
  url: string;
  created_at: number;
  updated_at: string;
  pushed_at: number;
  clone_url: string;
  homepage: string | null;
  size: number;
  stargazers_count: number;
  watchers_count: number;
  language: string | null;
  has_issues: boolean;
  has_projects: boolean;
  has_downloads: boolean;
  has_wiki: boolean;
  has_pages: boolean;
  forks_count: number;
  archived: boolean;
  disabled: boolean;
  open_issues_count: number;
  license: null;
  forks: number;
  open_issues: number;
  watchers: number;
  default_branch: string;
  stargazers: number;
  master_branch: string;
  is_template: boolean;
  topics: string[];
  visibility: 'public' | 'private';
  web_commit_signoff_required: boolean;
}

/** The fields of GitHub's `push` webhook payload that pushgate builds. */
export interface PushPayload {
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  base_ref: string | null;
  compare: string;
  commits: PushCommit[];
  head_commit: PushCommit | null;
  repository: PushRepository;
  pusher: { name: string; email: string };
  sender: PushUser;
}

export declare function buildPushPayload(options: PushPayloadOptions): Promise<PushPayload>;
