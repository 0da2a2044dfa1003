import type { PullRequestInfo } from '../git/git-host.ts';
import type { RunRecord, TargetRecord } from '../store/types.ts';
import type { ApprovalDecisionRequest } from './approval-request.ts';
import type { DecideApprovalDeps } from './types.ts';

/** A comment run's record keeps the all-zero sha the intake gave it (Validate resolves the head on its targets). */
const UNKNOWN_SHA = '0'.repeat(40);

export interface Candidate {
  run: RunRecord;
  target: TargetRecord;
}

export type Candidates = { candidates: Candidate[]; pull?: PullRequestInfo } | { none: string };

function matches(request: ApprovalDecisionRequest, target: TargetRecord): boolean {
  return (
    (request.project === undefined || target.project === request.project) &&
    (request.environment === undefined || target.environment === request.environment)
  );
}

function named(request: ApprovalDecisionRequest): string {
  const parts = [request.project, request.environment].filter((part) => part !== undefined);
  return parts.length === 0 ? '' : ` for ${parts.join('/')}`;
}

/**
 * The targets a decision is about. By run: its targets (narrowed by project/environment; without
 * them, only those waiting). By pull request: what the pull request deploys, and nothing else: its
 * `/pushgate apply` runs (comment runs of that pull request; their records carry the all-zero sha,
 * their targets have the commit) and, once it is merged, the push runs of its merge commit on its
 * base branch (the base branch's deploy); of those, the targets waiting for approval. Other push runs
 * of the head commit are not the pull request's (a branch such as a hotfix branch may deploy the same
 * commit elsewhere): they are decided by run (Slack, the CLI).
 */
export async function findCandidates(
  request: ApprovalDecisionRequest,
  deps: Pick<DecideApprovalDeps, 'store' | 'gitHost'>,
): Promise<Candidates> {
  const { store, gitHost } = deps;
  const narrowed = request.project !== undefined || request.environment !== undefined;
  if (request.runId !== undefined) {
    const run = await store.getRun(request.runId);
    if (!run) return { none: `no run ${request.runId}` };
    const targets = (await store.listTargets(run.runId)).filter((target) => matches(request, target));
    const chosen = narrowed ? targets : targets.filter((target) => target.status === 'awaiting_approval');
    if (chosen.length === 0) {
      const statuses = targets.map((target) => `${target.project}/${target.environment} ${target.status}`);
      return {
        none: `run ${run.runId} has nothing waiting for approval${named(request)}${statuses.length ? ` (${statuses.join(', ')})` : ''}`,
      };
    }
    return { candidates: chosen.map((target) => ({ run, target })) };
  }

  const repo = request.repo!;
  const number = request.pullRequest!;
  const pull = await gitHost.getPullRequest(repo, number);
  if (!pull) return { none: `no pull request #${number} in ${repo}` };
  const [ofComments, ofMerge] = await Promise.all([
    store.findRunsBySha(repo, UNKNOWN_SHA),
    pull.merged && pull.mergeCommitSha ? store.findRunsBySha(repo, pull.mergeCommitSha) : Promise.resolve([]),
  ]);
  const runs = new Map<string, RunRecord>();
  const applies = ofComments.filter((run) => run.kind === 'comment' && run.pullRequest === number);
  const merged = ofMerge.filter((run) => run.kind === 'push' && run.branch === pull.baseRef);
  for (const run of [...applies, ...merged]) runs.set(run.runId, run);
  const candidates: Candidate[] = [];
  for (const run of runs.values()) {
    if (run.kind === 'plan') continue; // a pull request's plan never applies
    for (const target of await store.listTargets(run.runId)) {
      if (target.status === 'awaiting_approval' && matches(request, target)) candidates.push({ run, target });
    }
  }
  if (candidates.length === 0)
    return { none: `nothing on pull request #${number} is waiting for approval${named(request)}` };
  return { candidates, pull };
}
