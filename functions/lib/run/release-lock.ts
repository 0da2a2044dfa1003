import { targetKeyOf } from '../store/target-key.ts';
import type { DeploymentStore, LockStore, TargetRecord, TargetStore } from '../store/types.ts';
import type { ApplyBuildResult, PlannedTarget, ReleaseLockOutput, TargetStep } from '../workflow/contract.ts';

/** What ReleaseLock reads of its input (ReleaseLockInput carries the whole iteration's data). */
export type ReleaseLockReads = TargetStep & {
  planned?: Pick<PlannedTarget, 'next'>;
  applyBuild?: Pick<ApplyBuildResult, 'buildId'>;
};

export interface ReleaseLockDeps {
  store: TargetStore & DeploymentStore & LockStore;
  now?: () => Date;
}

/**
 * The `ReleaseLock` state at the end of a target that did not fail: records the applied deployment
 * (history and "deployed now") when Apply ran, then releases the lock, owner-conditioned so a lock
 * that was taken over after our lease expired is left to its new owner.
 */
export async function releaseLock(input: ReleaseLockReads, deps: ReleaseLockDeps): Promise<ReleaseLockOutput> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target, settings } = input;
  let record: TargetRecord | undefined = await store.getTarget(run.runId, target.project, target.environment);
  if (input.planned?.next === 'apply' || input.planned?.next === 'approve') {
    if (record && record.status !== 'succeeded') {
      record = await store.setTargetStatus(
        run.runId,
        target.project,
        target.environment,
        'succeeded',
        input.applyBuild ? { applyBuildId: input.applyBuild.buildId } : {},
        now,
      );
    }
    await store.recordDeployment({
      repo: run.repo,
      environment: target.environment,
      project: target.project,
      runId: run.runId,
      sha: run.sha,
      status: 'succeeded',
      actor: run.actor,
      ...(record?.summary ? { summary: record.summary } : {}),
      deployedAt: now.toISOString(),
    });
  }
  const released = settings.planOnly ? false : await store.releaseLock(targetKeyOf(run, target), run.runId);
  return { status: record?.status ?? 'succeeded', released };
}
