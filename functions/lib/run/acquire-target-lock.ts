import type { LockRecord, Store } from '../store/types.ts';
import {
  DependencyFailedError,
  LockHeldError,
  LockLostError,
  LockWaitTimeoutError,
  SupersededError,
} from './errors.ts';
import type { TargetStepInput } from './step-input.ts';

const DEFAULT_LOCK_WAIT_MINUTES = 60;

export interface AcquireTargetLockResult {
  /** False for plan-only runs, which take no lock. */
  locked: boolean;
  owner?: string;
  leaseExpiresAt?: string;
  tookOverFrom?: string;
}

/**
 * The `AcquireLock` state. Checks that the environments this target comes `after` succeeded in this
 * run, then takes the repo + project + environment lock for a deploying run. Contention comes back
 * from the store as a result; here, at the Step Functions edge, it becomes `LockHeldError`, which
 * the state's Retry turns into a cheap wait with backoff (no Lambda runs while the run waits).
 */
export async function acquireTargetLock(
  input: TargetStepInput,
  deps: { store: Store; now?: () => Date },
): Promise<AcquireTargetLockResult> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target, settings } = input;
  if (input.renew) return renewTargetLock(input, store, now);

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
    return { locked: false };
  }

  const key = { repo: run.repo, project: target.project, environment: target.environment };
  const result = await store.acquireLock(
    key,
    run.runId,
    { leaseSeconds: settings.leaseSeconds, position: settings.queuePosition, mode: settings.concurrency },
    now,
  );
  switch (result.status) {
    case 'acquired':
      await markRunning(store, input, now);
      return {
        locked: true,
        owner: result.lock.owner,
        leaseExpiresAt: result.lock.leaseExpiresAt,
        ...(result.tookOverFrom ? { tookOverFrom: result.tookOverFrom } : {}),
      };
    case 'superseded':
      throw new SupersededError(`a newer run (${result.by}) for ${target.project}/${target.environment} is waiting`);
    case 'waiting': {
      const waitedMs = input.waitingSince ? now.getTime() - Date.parse(input.waitingSince) : 0;
      const limitMinutes = settings.lockWaitMinutes ?? DEFAULT_LOCK_WAIT_MINUTES;
      const holder = describeHolder(result.holder, result.ahead);
      if (waitedMs > limitMinutes * 60_000) {
        await store.leaveQueue(key, run.runId);
        throw new LockWaitTimeoutError(
          `gave up after waiting ${limitMinutes} min for ${target.project}/${target.environment}: ${holder}. ` +
            'Raise lockWaitMinutes in pushgate.yml, or check that run with `pushgate status`.',
        );
      }
      throw new LockHeldError(`${target.project}/${target.environment} is locked: ${holder}`);
    }
  }
}

/**
 * `RenewLock`, after an approval that may have taken days: the lease is extended only if this run
 * still holds the lock. If it was taken over meanwhile (the lease ran out), applying now could race
 * the new holder, so the target fails instead.
 */
async function renewTargetLock(input: TargetStepInput, store: Store, now: Date): Promise<AcquireTargetLockResult> {
  const { run, target, settings } = input;
  if (settings.planOnly) return { locked: false };
  const key = { repo: run.repo, project: target.project, environment: target.environment };
  const held = await store.getLock(key, now);
  const lost = (by: string) =>
    new LockLostError(
      `${target.project}/${target.environment} was not applied: while this run waited for approval its lock ${by}; push again to plan afresh`,
    );
  if (!held || held.owner !== run.runId) throw lost(held ? `was taken over by run ${held.owner}` : 'was released');
  const result = await store.acquireLock(
    key,
    run.runId,
    { leaseSeconds: settings.leaseSeconds, position: settings.queuePosition, mode: settings.concurrency },
    now,
  );
  if (result.status === 'superseded') {
    throw new SupersededError(
      `a newer run (${result.by}) for ${target.project}/${target.environment} is waiting: this approved plan is stale`,
    );
  }
  if (result.status !== 'acquired') throw lost(`is held by run ${result.holder?.owner ?? 'another run'}`);
  return { locked: true, owner: result.lock.owner, leaseExpiresAt: result.lock.leaseExpiresAt };
}

function describeHolder(holder: LockRecord | undefined, ahead: number): string {
  const parts: string[] = [];
  if (holder) parts.push(`held by run ${holder.owner} since ${holder.acquiredAt}`);
  if (ahead > 0) parts.push(`${ahead} older run${ahead === 1 ? '' : 's'} ahead in the queue`);
  return parts.join(', ') || 'held by another run';
}

async function markRunning(store: Store, input: TargetStepInput, now: Date): Promise<void> {
  const current = await store.getTarget(input.run.runId, input.target.project, input.target.environment);
  // A retried invocation may already have moved it on; only a queued target starts running.
  if (current?.status === 'queued') {
    await store.setTargetStatus(input.run.runId, input.target.project, input.target.environment, 'running', {}, now);
  }
}
