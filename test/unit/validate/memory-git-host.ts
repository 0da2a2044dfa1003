import type { GitHost, PullRequestInfo, RepoPermission } from '../../../functions/lib/git/git-host.ts';

/** A GitHost double for the Validate domain: files by commit, comparisons by `base...head`, refs. */
export interface MemoryGitHost extends GitHost {
  files: Map<string, Map<string, string>>;
  comparisons: Map<string, string[]>;
  /** How head relates to base in `comparisons` (default `ahead`). */
  statuses: Map<string, 'ahead' | 'behind' | 'diverged' | 'identical'>;
  refs: Map<string, string>;
  pulls: Map<number, PullRequestInfo>;
  /** Repository roles by login; anyone else is `read`. */
  permissions: Map<string, RepoPermission>;
  /** Every call, e.g. `getFile pushgate.yml@aaaaaaa`, `changedFiles bbbbbbb...aaaaaaa`. */
  calls: string[];
}

export function createMemoryGitHost(): MemoryGitHost {
  const files = new Map<string, Map<string, string>>();
  const comparisons = new Map<string, string[]>();
  const refs = new Map<string, string>();
  const statuses = new Map<string, 'ahead' | 'behind' | 'diverged' | 'identical'>();
  const pulls = new Map<number, PullRequestInfo>();
  const permissions = new Map<string, RepoPermission>();
  const calls: string[] = [];
  const short = (ref: string) => (/^[0-9a-f]{40}$/.test(ref) ? ref.slice(0, 7) : ref);
  return {
    files,
    comparisons,
    statuses,
    refs,
    pulls,
    permissions,
    calls,
    async getFile(_repo, path, ref) {
      calls.push(`getFile ${path}@${short(ref)}`);
      return files.get(ref)?.get(path);
    },
    async changedFiles(_repo, base, head) {
      calls.push(`changedFiles ${short(base)}...${short(head)}`);
      return comparisons.get(`${base}...${head}`);
    },
    async compare(_repo, base, head) {
      calls.push(`compare ${short(base)}...${short(head)}`);
      const files = comparisons.get(`${base}...${head}`);
      return files === undefined ? undefined : { status: statuses.get(`${base}...${head}`) ?? 'ahead', files };
    },
    async getDefaultBranch() {
      return 'main';
    },
    cloneUrl(repo) {
      return `https://git.example/${repo}.git`;
    },
    async resolveRef(_repo, ref) {
      calls.push(`resolveRef ${ref}`);
      return refs.get(ref);
    },
    async getPermission(_repo, login) {
      calls.push(`getPermission ${login}`);
      return permissions.get(login) ?? 'read';
    },
    async getPullRequest(_repo, number) {
      calls.push(`getPullRequest #${number}`);
      return pulls.get(number);
    },
  };
}
