import type { ArtifactLinks } from '../plan/artifact-links.ts';
import { targetKeyOf } from '../store/target-key.ts';
import type { LockRecord, LockStore, TargetStore } from '../store/types.ts';
import type { AcquireLockInput, LockResult, TargetStep } from '../workflow/contract.ts';
import { DependencyFailedError, LockWaitTimeoutError, SupersededError } from './errors.ts';
import { secondsSince, type RunMetrics } from './run-metrics.ts';

const DEFAULT_LOCK_WAIT_MINUTES = 60;

export interface AcquireLockDeps {
  store: TargetStore & LockStore;
  artifacts: ArtifactLinks;
  /** LockWaitSeconds, once, when the lock is taken (not for plan-only runs, which take none). */
  metrics?: Pick<RunMetrics, 'lockAcquired'>;
  now?: () => Date;
}

/**
 * The `AcquireLock` state. Checks that the environments this target comes `after` succeeded in this
 * run, then takes the repo + project + environment lock for a deploying run. Contention is a result
 * here too: `{ locked: false, waiting: true, waitSeconds }`, and the run's ticket stays in the queue.
 * The LockTaken Choice then parks the run in WaitForLock (a task token, no cost while it waits) until
 * a release hands the lock over to it (functions/lib/locks/hand-over.ts) and it comes back here to
 * take it. The wait is bounded by `lockWaitMinutes` from the run's first ask (the ticket keeps it):
 * past it, `LockWaitTimeoutError`; before it, WaitForLock's timeout is what is left of it.
 */
export async function acquireLock(input: AcquireLockInput, deps: AcquireLockDeps): Promise<LockResult> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target, settings } = input;

  for (const environment of target.after) {
    const earlier = await store.getTarget(run.runId, target.project, environment);
    if (!earlier || !['succeeded', 'no_changes', 'planned'].includes(earlier.status)) {
      throw new DependencyFailedError(
        `${target.project} was not deployed to ${target.environment} because ${environment} ${earlier ? `ended ${earlier.status}` : 'did not run'} in this run`,
      );
    }
  }

  if (settings.planOnly) {
    await markRunning(store, input, now);
    return { locked: false, upload: await uploadLinks(input, deps.artifacts) };
  }

  const key = targetKeyOf(run, target);
  const result = await store.acquireLock(
    key,
    run.runId,
    { leaseSeconds: settings.leaseSeconds, position: settings.queuePosition, mode: settings.concurrency },
    now,
  );
  switch (result.status) {
    case 'acquired': {
      // Only the attempt that moves the target on counts: a retried invocation waited no longer.
      if (await markRunning(store, input, now)) {
        deps.metrics?.lockAcquired(secondsSince(result.waitingSince ?? input.waitingSince, now) ?? 0);
      }
      return {
        locked: true,
        owner: result.lock.owner,
        leaseExpiresAt: result.lock.leaseExpiresAt,
        ...(result.tookOverFrom ? { tookOverFrom: result.tookOverFrom } : {}),
        upload: await uploadLinks(input, deps.artifacts),
      };
    }
    case 'superseded':
      throw new SupersededError(`a newer run (${result.by}) for ${target.project}/${target.environment} is waiting`);
    case 'waiting': {
      const limitMinutes = settings.lockWaitMinutes ?? DEFAULT_LOCK_WAIT_MINUTES;
      const holder = describeHolder(result.holder, result.ahead);
      // From the first ask (kept on the ticket), not this state's entry: a run comes back here after each handoff.
      const leftSeconds = Math.floor(limitMinutes * 60 - (now.getTime() - Date.parse(result.waitingSince)) / 1000);
      if (!(leftSeconds >= 1)) {
        await store.leaveQueue(key, run.runId);
        throw new LockWaitTimeoutError(lockWaitTimeoutReason(input, limitMinutes, holder));
      }
      return {
        locked: false,
        waiting: true,
        waitSeconds: leftSeconds,
        heldBy: holder,
        waitingSince: result.waitingSince,
      };
    }
  }
}

/** Where the Plan build uploads this target's artifacts (`<artifactPrefix>/plan.bin`, `plan.json`, `plan.txt`). */
async function uploadLinks(
  input: TargetStep,
  artifacts: ArtifactLinks,
): Promise<{ planBin: string; planJson: string; planTxt: string }> {
  const prefix = input.target.artifactPrefix;
  const [planBin, planJson, planTxt] = await Promise.all([
    artifacts.uploadUrl(`${prefix}/plan.bin`),
    artifacts.uploadUrl(`${prefix}/plan.json`),
    artifacts.uploadUrl(`${prefix}/plan.txt`),
  ]);
  return { planBin, planJson, planTxt };
}

/** Why a target gave up waiting for its lock: AcquireLock's LockWaitTimeoutError, and TargetFailed's reason when WaitForLock times out. */
export function lockWaitTimeoutReason(
  input: TargetStep,
  limitMinutes: number | undefined,
  holder: string | undefined,
): string {
  const { target } = input;
  return (
    `gave up after waiting ${limitMinutes ?? DEFAULT_LOCK_WAIT_MINUTES} min for ${target.project}/${target.environment}: ${holder ?? 'held by another run'}. ` +
    'Raise lockWaitMinutes in pushgate.yml, or check that run with `pushgate status`.'
  );
}

function describeHolder(holder: LockRecord | undefined, ahead: number): string {
  const parts: string[] = [];
  if (holder) parts.push(`held by run ${holder.owner} since ${holder.acquiredAt}`);
  if (ahead > 0) parts.push(`${ahead} older run${ahead === 1 ? '' : 's'} ahead in the queue`);
  return parts.join(', ') || 'held by another run';
}

/** Moves a queued target to `running`; whether it did (false: a retried invocation had already). */
async function markRunning(store: TargetStore, input: TargetStep, now: Date): Promise<boolean> {
  const current = await store.getTarget(input.run.runId, input.target.project, input.target.environment);
  // A retried invocation may already have moved it on; only a queued target starts running.
  if (current?.status !== 'queued') return false;
  await store.setTargetStatus(input.run.runId, input.target.project, input.target.environment, 'running', {}, now);
  return true;
}
