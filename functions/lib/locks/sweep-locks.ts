import type { LockStore, TargetKey } from '../store/types.ts';
import type { HandOver } from './hand-over.ts';

export interface SweepLocksDeps {
  store: Pick<LockStore, 'listParkedLocks'>;
  handOver: HandOver;
}

/** What one sweep did. */
export interface SweepLocksResult {
  /** Locks with a run parked on them. */
  locks: number;
  /** Runs the sweep handed a lock to (a holder's lease had run out, or a handoff had not happened). */
  handedTo: string[];
  superseded: string[];
  dropped: string[];
  /** Locks whose handoff failed (named, without the error's details): the next sweep tries again. */
  failed: { key: TargetKey; error: string }[];
}

/**
 * The lock sweep, on a schedule (every minute on AWS; `pushgate dev` and tests invoke it): every lock
 * with a parked run is handed over if it can be. That resumes the runs waiting behind a holder whose
 * lease ran out (its run died without releasing: lease expiry is taken over as before), and repeats
 * any handoff that a release could not finish. A lock that is held is left alone (handOver is a no-op).
 */
export async function sweepLocks(deps: SweepLocksDeps): Promise<SweepLocksResult> {
  const result: SweepLocksResult = { locks: 0, handedTo: [], superseded: [], dropped: [], failed: [] };
  const keys = await deps.store.listParkedLocks();
  result.locks = keys.length;
  for (const key of keys) {
    try {
      const handed = await deps.handOver(key);
      if (handed.handedTo !== undefined) result.handedTo.push(handed.handedTo);
      result.superseded.push(...handed.superseded);
      result.dropped.push(...handed.dropped);
    } catch (error) {
      result.failed.push({ key, error: error instanceof Error ? error.name : 'unknown error' });
    }
  }
  return result;
}
