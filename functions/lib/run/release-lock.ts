import type { HandOver } from '../locks/hand-over.ts';
import { targetKeyOf } from '../store/target-key.ts';
import type { DeploymentStore, LockStore, TargetRecord, TargetStore } from '../store/types.ts';
import type { ApplyBuildResult, PlannedTarget, ReleaseLockOutput, TargetStep } from '../workflow/contract.ts';
import { secondsSince, type RunMetrics } from './run-metrics.ts';

/** What ReleaseLock reads of its input (ReleaseLockInput carries the whole iteration's data). */
export type ReleaseLockReads = TargetStep & {
  planned?: Pick<PlannedTarget, 'next'>;
  applyBuild?: Pick<ApplyBuildResult, 'buildId'>;
};

export interface ReleaseLockDeps {
  store: TargetStore & DeploymentStore & LockStore;
  /** PushToDeployedSeconds, once, when an applied target is recorded `succeeded`. */
  metrics?: Pick<RunMetrics, 'targetDeployed'>;
  /** Hands the released lock to the next run in its queue and resumes it (locks/hand-over.ts). */
  handOver?: HandOver;
  now?: () => Date;
}

/**
 * The `ReleaseLock` state at the end of a target that did not fail: records the applied deployment
 * (history and "deployed now") when Apply ran, then releases the lock, owner-conditioned so a lock
 * that was taken over is left to its new owner. An apply whose lock is no longer this run's (taken
 * over after its lease ran out, or unlocked by hand) may have raced another apply: the target ends
 * `conflict` with the reason, the deployment goes into the history as such but not into "deployed
 * now", and the run fails so that people are told.
 */
export async function releaseLock(input: ReleaseLockReads, deps: ReleaseLockDeps): Promise<ReleaseLockOutput> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target, settings } = input;
  let record: TargetRecord | undefined = await store.getTarget(run.runId, target.project, target.environment);
  const applied = input.planned?.next === 'apply' || input.planned?.next === 'approve';
  const deployment = {
    repo: run.repo,
    environment: target.environment,
    project: target.project,
    runId: run.runId,
    sha: run.sha,
    actor: run.actor,
    // What triggered it: a remediation of drift is recorded with trigger `drift`.
    trigger: run.kind,
    definition: target.definition,
    ...(target.rollbackOf === undefined ? {} : { rollbackOf: target.rollbackOf }),
  };
  if (applied && !settings.planOnly && record?.status !== 'succeeded' && record?.status !== 'conflict') {
    const holder = await store.getLock(targetKeyOf(run, target), now);
    if (holder?.owner !== run.runId) {
      const reason = `${target.project}/${target.environment} was applied, but its lock ${holder ? `was taken over by ${holder.owner}` : 'was released by someone else'} before the apply ended: another apply may have raced it. Check ${target.environment}, then deploy again`;
      record = await store.setTargetStatus(
        run.runId,
        target.project,
        target.environment,
        'conflict',
        { reason, ...(input.applyBuild ? { applyBuildId: input.applyBuild.buildId } : {}) },
        now,
      );
      await store.recordDeployment({
        ...deployment,
        status: 'conflict',
        ...(record.summary ? { summary: record.summary } : {}),
        deployedAt: now.toISOString(),
      });
      return { status: 'conflict', released: false };
    }
  }
  if (applied && record?.status !== 'conflict') {
    if (record && record.status !== 'succeeded') {
      record = await store.setTargetStatus(
        run.runId,
        target.project,
        target.environment,
        'succeeded',
        input.applyBuild ? { applyBuildId: input.applyBuild.buildId } : {},
        now,
      );
      // A plan-only run applies nothing; the push's time is when the webhook received it.
      if (!settings.planOnly) deps.metrics?.targetDeployed(secondsSince(run.receivedAt, now) ?? 0);
    }
    await store.recordDeployment({
      ...deployment,
      status: 'succeeded',
      ...(record?.summary ? { summary: record.summary } : {}),
      // Who let it through, for `pushgate status`: the decision that resumed the run is the last one.
      ...(record?.approvals?.length ? { approvals: record.approvals } : {}),
      deployedAt: now.toISOString(),
    });
  }
  if (record?.status === 'conflict') return { status: 'conflict', released: false };
  const released = settings.planOnly ? false : await store.releaseLock(targetKeyOf(run, target), run.runId);
  if (released) await deps.handOver?.(targetKeyOf(run, target));
  return { status: record?.status ?? 'succeeded', released };
}
