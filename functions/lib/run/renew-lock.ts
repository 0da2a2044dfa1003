import { targetKeyOf } from '../store/target-key.ts';
import type { LockStore } from '../store/types.ts';
import type { LockResult, TargetStep } from '../workflow/contract.ts';
import { LockLostError, SupersededError } from './errors.ts';

export interface RenewLockDeps {
  store: LockStore;
  now?: () => Date;
}

/**
 * The `RenewLock` state, after an approval that may have taken days: the lease is extended only if
 * this run still holds the lock. If it was taken over meanwhile (the lease ran out), applying now
 * could race the new holder, so the target fails instead. The ASL calls the AcquireLock Lambda with
 * `renew: true` (RenewLockInput); its handler dispatches here.
 */
export async function renewLock(input: TargetStep, deps: RenewLockDeps): Promise<LockResult> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target, settings } = input;
  if (settings.planOnly) return { locked: false };
  const key = targetKeyOf(run, target);
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
