import type { HandOver } from '../locks/hand-over.ts';
import type { LockStore, TargetKey, TargetStore } from './types.ts';

/** What unlockTarget did: unlocked (the run that held it), or why not. */
export type UnlockTargetResult =
  { outcome: 'unlocked'; owner: string } | { outcome: 'not-locked' } | { outcome: 'applying'; owner: string };

/**
 * A person releases a target's lock whoever holds it (`pushgate unlock`, `/pushgate unlock`), except
 * while the holder applies: its apply build runs on, and another run applying beside it is what the
 * lock is for. forceUnlock records who and why; the lock is then handed over to the next run
 * waiting for it (`handOver`, which resumes that run at once), and the run that held it ends
 * `conflict` if it still gets to apply.
 */
export async function unlockTarget(
  store: Pick<LockStore, 'getLock' | 'forceUnlock'> & Pick<TargetStore, 'getTarget'>,
  key: TargetKey,
  who: { by: string; reason: string },
  now?: Date,
  handOver?: HandOver,
): Promise<UnlockTargetResult> {
  // The holder checked is the one released: if the lock changes hands in between, check the new one.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const lock = await store.getLock(key, now);
    if (lock === undefined) return { outcome: 'not-locked' };
    const holder = await store.getTarget(lock.owner, key.project, key.environment);
    if (holder?.status === 'applying') return { outcome: 'applying', owner: lock.owner };
    const unlocked = await store.forceUnlock(key, { ...who, owner: lock.owner }, now);
    if (unlocked.released && unlocked.owner !== undefined) {
      await handOver?.(key);
      return { outcome: 'unlocked', owner: unlocked.owner };
    }
    if (unlocked.heldBy === undefined) return { outcome: 'not-locked' };
  }
  return { outcome: 'not-locked' };
}
