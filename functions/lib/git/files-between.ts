import type { GitHost } from './git-host.ts';

/** What differs between two commits' trees, whichever way they relate. */
export interface FilesBetween {
  /** Paths that differ; undefined when nobody can tell (a commit gone, too many files to list). */
  files: string[] | undefined;
  /** `to` is an ancestor of `from`: the branch went back (a rollback by git, a force-push). */
  backwards: boolean;
}

/**
 * The files whose content differs between `from` (what an environment runs) and `to` (what the run
 * deploys): a two-dot tree diff. GitHub only compares three-dot (merge base → head), which shows
 * nothing when `to` is older than `from`, so: `to` ahead → that comparison; `to` behind → the
 * reverse one; diverged → both, joined (a superset of the tree diff: it may plan a project more,
 * never one less).
 */
export async function filesBetween(gitHost: GitHost, repo: string, from: string, to: string): Promise<FilesBetween> {
  if (from === to) return { files: [], backwards: false };
  const forward = await gitHost.compare(repo, from, to);
  if (forward === undefined) return { files: undefined, backwards: false };
  switch (forward.status) {
    case 'identical':
      return { files: [], backwards: false };
    case 'ahead':
      return { files: forward.files, backwards: false };
    case 'behind':
    case 'diverged': {
      const reverse = await gitHost.compare(repo, to, from);
      const backwards = forward.status === 'behind';
      if (reverse?.files === undefined) return { files: undefined, backwards };
      if (backwards) return { files: reverse.files, backwards };
      if (forward.files === undefined) return { files: undefined, backwards };
      return { files: [...new Set([...forward.files, ...reverse.files])], backwards };
    }
  }
}
