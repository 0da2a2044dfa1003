import { targetKeyOf } from '../store/target-key.ts';
import type { LockStore } from '../store/types.ts';
import type { LockResult, TargetStep } from '../workflow/contract.ts';
import { LockLostError, SupersededError } from './errors.ts';

export interface RenewLockDeps {
  store: LockStore;
  now?: () => Date;
}

/**
 * Renews this run's lock right before Apply (PrepareApply), after a plan or an approval that may have
 * taken days: the lease is extended to `leaseSeconds` only if this run still holds the lock. If it was
 * taken over meanwhile (the lease ran out), applying now could race the new holder, so the target
 * fails instead.
 */
export async function renewLock(input: TargetStep, deps: RenewLockDeps, leaseSeconds?: number): Promise<LockResult> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target, settings } = input;
  if (settings.planOnly) return { locked: false };
  const key = targetKeyOf(run, target);
  const held = await store.getLock(key, now);
  const lost = (by: string) =>
    new LockLostError(
      `${target.project}/${target.environment} was not applied: its lock ${by} before Apply (its lease ran out while it planned or waited for approval); push again to plan afresh`,
    );
  if (!held || held.owner !== run.runId) throw lost(held ? `was taken over by run ${held.owner}` : 'was released');
  const result = await store.acquireLock(
    key,
    run.runId,
    {
      leaseSeconds: leaseSeconds ?? settings.leaseSeconds,
      position: settings.queuePosition,
      mode: settings.concurrency,
    },
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
