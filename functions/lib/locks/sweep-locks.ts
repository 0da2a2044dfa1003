import type { LockStore, TargetKey } from '../store/types.ts';
import type { HandOver } from './hand-over.ts';
import { heartbeatParked, type HeartbeatParkedResult, type TaskHeartbeat } from './heartbeat-parked.ts';

export interface SweepLocksDeps {
  store: Pick<LockStore, 'listParkedLocks' | 'listParkedTickets' | 'dropTicket'>;
  handOver: HandOver;
  /**
   * SendTaskHeartbeat for every parked run (the lock sweep's handler always gives it). Without it
   * (tests of the handoff alone) no heartbeat is sent.
   */
  heartbeats?: TaskHeartbeat;
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
  /** The heartbeats sent to parked runs first (absent without `heartbeats`). */
  heartbeats?: HeartbeatParkedResult;
}

/**
 * The lock sweep, on a schedule (every minute on AWS; `pushgate dev` and tests invoke it): every lock
 * with a parked run is handed over if it can be. That resumes the runs waiting behind a holder whose
 * lease ran out (its run died without releasing: lease expiry is taken over as before), and repeats
 * any handoff that a release could not finish. A lock that is held is left alone (handOver is a no-op).
 *
 * First, every parked run's WaitForLock gets a heartbeat (heartbeatParked): a run the table no
 * longer shows as parked gets none and comes back to AcquireLock by itself (States.HeartbeatTimeout),
 * and a ticket whose token is gone is dropped before the handoff could pick it.
 */
export async function sweepLocks(deps: SweepLocksDeps): Promise<SweepLocksResult> {
  const result: SweepLocksResult = { locks: 0, handedTo: [], superseded: [], dropped: [], failed: [] };
  if (deps.heartbeats !== undefined) {
    result.heartbeats = await heartbeatParked({ store: deps.store, heartbeats: deps.heartbeats });
  }
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
