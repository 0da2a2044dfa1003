import type { RunRequest } from '../workflow/contract.ts';

/** What kind of run a request is: the branch whose environments it targets and whether it may apply. */
export type RunMode = { branch: string; planOnly: boolean } | { skipped: string };

/**
 * push: deploy the pushed branch's environments. Pull request, `/pushgate plan` and drift: plan only
 * (drift: unless its environment remediates)
 * (a pull request against its base branch's environments). `/pushgate apply`: deploy the base
 * branch's environments before the merge; who may ask is checked before the run starts.
 */
export function runMode(
  run: RunRequest,
  policy: { applyBeforeMerge: boolean; driftRemediate?: boolean } = { applyBeforeMerge: false },
): RunMode {
  const baseBranch = run.pullRequest?.baseRef ?? run.branch;
  // A fork's code would run in the plan build with pushgate's (read-only) credentials and could read
  // state or secrets: like Atlantis' default, pull requests from forks are not planned at all.
  if (run.pullRequest?.fromFork && (run.kind === 'plan' || run.kind === 'comment')) {
    return {
      skipped: `pull request #${run.pullRequest.number} comes from a fork: pushgate never runs a fork's code with credentials; push the branch to this repository to plan it`,
    };
  }
  switch (run.kind) {
    case 'push':
      return { branch: run.branch, planOnly: false };
    case 'plan':
      return { branch: baseBranch, planOnly: true };
    // A drift check plans what runs; it applies (again, at the deployed commit) only where the default
    // branch's pushgate.yml sets `drift.remediate: true` for its environment.
    case 'drift':
      return { branch: run.branch, planOnly: policy.driftRemediate !== true };
    // `pushgate rollback`: deploys an earlier commit to the environments of the branch that deployed
    // it (the rollback function checked who asks; Validate, which commit and where).
    case 'rollback':
      return { branch: run.branch, planOnly: false };
    case 'comment': {
      const command = run.comment?.command;
      if (command === 'plan') return { branch: baseBranch, planOnly: true };
      if (command === 'apply') {
        if (!policy.applyBeforeMerge) {
          return {
            skipped: `"/pushgate apply" deploys before the merge only where ${baseBranch}'s pushgate.yml sets applyBeforeMerge: true; merge to deploy`,
          };
        }
        return { branch: baseBranch, planOnly: false };
      }
      return { skipped: command ? `"/pushgate ${command}" does not start a run` : 'the comment has no command' };
    }
  }
}
