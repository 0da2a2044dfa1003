import { branchMoved } from '../git/branch-moved.ts';
import type { GitHost } from '../git/git-host.ts';
import type { ArtifactLinks } from '../plan/artifact-links.ts';
import { neverDeployed, recordedDeployment } from '../rollback/recorded-deployment.ts';
import type { DeploymentStore, LockStore, TargetStore } from '../store/types.ts';
import type { PrepareApplyInput, PreparedApply, RunRequest } from '../workflow/contract.ts';
import { ApprovalMissingError, LockLostError, RollbackRefusedError, SupersededError } from './errors.ts';
import { renewLock } from './renew-lock.ts';

/**
 * The lease PrepareApply gives a lock: the apply build's queue timeout (30 min) and build timeout
 * (60 min, infra/codebuild.yml), with room for ReleaseLock. A lease that could end while the apply
 * still runs would let another run take the lock and apply alongside it.
 */
export const APPLY_LEASE_SECONDS = (30 + 60 + 15) * 60;

export interface PrepareApplyDeps {
  store: LockStore &
    Pick<TargetStore, 'forgetApprovalToken' | 'getTarget'> &
    Pick<DeploymentStore, 'listDeployments' | 'getCurrent'>;
  gitHost: GitHost;
  artifacts: ArtifactLinks;
  now?: () => Date;
}

/**
 * The `PrepareApply` state, right before every Apply (after an approval, it first removes the used
 * approval task token from the target and requires the approval the approval function recorded):
 * 1. the commit is still what its branch (or pull request) points to (a rollback: a recorded
 *    deployment nobody deployed over since; a drift remediation: what the target runs now); otherwise a newer commit
 *    deploys instead and this target ends `superseded` with the reason, so that a replayed or late
 *    run never applies an older commit over a newer one;
 * 2. the lock's lease is renewed to cover the whole apply (APPLY_LEASE_SECONDS), or the target fails
 *    if the lock was lost;
 * 3. a presigned URL of the reviewed plan.bin for the Apply build, which checks its sha256.
 */
export async function prepareApply(input: PrepareApplyInput, deps: PrepareApplyDeps): Promise<PreparedApply> {
  const { run, target, settings } = input;
  // Whatever follows, the approval wait (if any) is over: its token must not resume anything again.
  if (target.approval.required) {
    await deps.store.forgetApprovalToken(run.runId, target.project, target.environment);
    // Whoever holds a task token can resume the wait; only the approval function records who approved.
    const record = await deps.store.getTarget(run.runId, target.project, target.environment);
    const last = record?.approvals?.at(-1);
    if (last?.decision !== 'approved') {
      throw new ApprovalMissingError(
        `${target.project}/${target.environment} was not applied: the run was resumed without a recorded approval (approve with /pushgate approve, the Slack button or pushgate approve)`,
      );
    }
  }
  const moved =
    run.kind === 'rollback'
      ? await rollbackOvertaken(input, deps.store)
      : run.kind === 'drift'
        ? await driftOvertaken(input, deps.store)
        : await movedOn(run, deps.gitHost);
  if (moved !== undefined) {
    throw new SupersededError(`${target.project}/${target.environment} was not applied: ${moved}`);
  }
  const lock = await renewLock(
    input,
    { store: deps.store, ...(deps.now ? { now: deps.now } : {}) },
    Math.max(settings.leaseSeconds, APPLY_LEASE_SECONDS),
  );
  if (!lock.leaseExpiresAt)
    throw new LockLostError(`${target.project}/${target.environment} holds no lock to apply under`);
  return {
    planUrl: await deps.artifacts.downloadUrl(`${target.artifactPrefix}/plan.bin`),
    leaseExpiresAt: lock.leaseExpiresAt,
  };
}

/**
 * A rollback deploys an older commit than its branch's head on purpose, so the head is not what
 * decides: its commit must still be a recorded successful deployment of the target (checked again
 * here, as in Validate), and no other run may have deployed the target since the rollback was asked
 * for (a newer push wins; it is not undone by a rollback that waited for its approval).
 */
async function rollbackOvertaken(
  { run, target }: PrepareApplyInput,
  store: Pick<DeploymentStore, 'listDeployments' | 'getCurrent'>,
): Promise<string | undefined> {
  const key = { repo: run.repo, environment: target.environment, project: target.project, sha: run.sha };
  if ((await recordedDeployment(store, key)) === undefined) throw new RollbackRefusedError(neverDeployed(key));
  const current = (await store.getCurrent(run.repo, target.environment)).find((d) => d.project === target.project);
  if (current !== undefined && current.runId !== run.runId && current.deployedAt > run.receivedAt) {
    return `run ${current.runId} deployed ${current.sha.slice(0, 7)} there after this rollback was asked for: roll back again if still needed`;
  }
  return undefined;
}

/**
 * A drift remediation applies the commit the target runs, not its branch's head (that is a push's
 * business): the target must still run `run.sha`, from a deployment no newer than this check (a
 * deploy since, even of the same commit, already replaced what drifted).
 */
async function driftOvertaken(
  { run, target }: PrepareApplyInput,
  store: Pick<DeploymentStore, 'getCurrent'>,
): Promise<string | undefined> {
  const current = (await store.getCurrent(run.repo, target.environment)).find((d) => d.project === target.project);
  if (current === undefined) return `nothing is recorded as running there: the drift check is moot`;
  if (current.sha !== run.sha) {
    return `it runs ${current.sha.slice(0, 7)} now (deployed by run ${current.runId}), not ${run.sha.slice(0, 7)}: the drift check is moot`;
  }
  if (current.runId !== run.runId && current.deployedAt > run.receivedAt) {
    return `run ${current.runId} deployed it again after this drift check began`;
  }
  return undefined;
}

/** Why the run's commit is no longer the one to deploy, or undefined when it still is. */
async function movedOn(run: RunRequest, gitHost: GitHost): Promise<string | undefined> {
  const sha7 = run.sha.slice(0, 7);
  if (run.kind === 'comment' && run.pullRequest) {
    const pull = await gitHost.getPullRequest(run.repo, run.pullRequest.number);
    if (pull === undefined) return `pull request #${run.pullRequest.number} no longer exists`;
    if (pull.state !== 'open') return `pull request #${pull.number} was ${pull.merged ? 'merged' : 'closed'} meanwhile`;
    if (pull.headSha !== run.sha) {
      return `pull request #${pull.number} now points to ${pull.headSha.slice(0, 7)}, not ${sha7}: apply the new head`;
    }
    return undefined;
  }
  const head = await branchMoved(run, gitHost);
  return head.moved ? head.reason : undefined;
}
