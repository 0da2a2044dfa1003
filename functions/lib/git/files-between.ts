import type { GitHost } from './git-host.ts';

/** What differs between two commits' trees, whichever way they relate. */
export interface FilesBetween {
  /** Paths that differ; undefined when nobody can tell (a commit gone, trees too large to walk). */
  files: string[] | undefined;
  /** `to` is an ancestor of `from`: the branch went back (a rollback by git, a force-push). */
  backwards: boolean;
}

/**
 * The files whose content differs between `from` (what an environment runs) and `to` (what the run
 * deploys): a two-dot tree diff. GitHub only compares three-dot (merge base → head), which shows
 * nothing when `to` is older than `from`, so: `to` ahead → that comparison; `to` behind → the
 * reverse one; diverged → both, joined (a superset of the tree diff: it may plan a project more,
 * never one less). Compare lists at most 300 files: when a list may be cut, or when compare cannot
 * relate the commits at all (unrelated histories), the two trees are compared instead (exact, at any
 * size). Calls: 1 compare for a change it lists whole (2 when `to` is behind or diverged); +2 tree
 * listings when it does not (more only past GitHub's 100,000 entries per listing).
 */
export async function filesBetween(gitHost: GitHost, repo: string, from: string, to: string): Promise<FilesBetween> {
  if (from === to) return { files: [], backwards: false };
  const trees = async (backwards: boolean): Promise<FilesBetween> => ({
    files: await gitHost.diffTrees?.(repo, from, to),
    backwards,
  });
  const forward = await gitHost.compare(repo, from, to);
  if (forward === undefined) return trees(false);
  switch (forward.status) {
    case 'identical':
      return { files: [], backwards: false };
    case 'ahead':
      return forward.files === undefined ? trees(false) : { files: forward.files, backwards: false };
    case 'behind': {
      const reverse = await gitHost.compare(repo, to, from);
      return reverse?.files === undefined ? trees(true) : { files: reverse.files, backwards: true };
    }
    case 'diverged': {
      // The tree diff is exact and costs no more than the second comparison would.
      if (forward.files === undefined) return trees(false);
      const reverse = await gitHost.compare(repo, to, from);
      if (reverse?.files === undefined) return trees(false);
      return { files: [...new Set([...forward.files, ...reverse.files])], backwards: false };
    }
  }
}
