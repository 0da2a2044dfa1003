import type { RunRequest } from '../workflow/contract.ts';
import type { GitHost } from './git-host.ts';

/** Whether the run's branch still points to the run's commit; why not, in the words people read. */
export type BranchHead = { moved: false } | { moved: true; gone: boolean; reason: string };

/**
 * An environment always ends at the commit its branch points to: Validate skips a push whose branch
 * has moved on (a replay, a redelivery, a quick second push) and PrepareApply supersedes one before it
 * applies. `gone`: the branch no longer exists (Validate goes on, PrepareApply does not).
 */
export async function branchMoved(run: RunRequest, gitHost: GitHost): Promise<BranchHead> {
  const head = await gitHost.resolveRef?.(run.repo, `heads/${run.branch}`);
  if (head === run.sha) return { moved: false };
  if (head === undefined) return { moved: true, gone: true, reason: `${run.branch} no longer exists` };
  return {
    moved: true,
    gone: false,
    reason: `${run.branch} now points to ${head.slice(0, 7)}, not ${run.sha.slice(0, 7)}: the newer commit deploys instead`,
  };
}
