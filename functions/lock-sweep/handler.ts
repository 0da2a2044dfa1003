import { runtimeHandOver } from '../lib/locks/runtime-hand-over.ts';
import { sweepLocks, type SweepLocksDeps, type SweepLocksResult } from '../lib/locks/sweep-locks.ts';
import { createSfnTaskHeartbeat } from '../lib/runtime/clients/sfn-task-heartbeat.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';

const defaultDeps = (): SweepLocksDeps => ({
  store: runtimeStore(),
  handOver: runtimeHandOver(),
  heartbeats: createSfnTaskHeartbeat(),
});

/**
 * The lock sweep, every minute (EventBridge Scheduler; `pushgate dev` and tests invoke it): sends a
 * heartbeat to every parked run's WaitForLock (a run that gets none comes back to AcquireLock), then
 * hands over the locks that runs are parked on when they can be (a holder's lease ran out, a handoff
 * failed). Its event is not read.
 */
export function createHandler(
  deps: () => SweepLocksDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<SweepLocksResult>(
    'lockSweep',
    async (_event, step) => {
      const result = await sweepLocks(deps());
      const beats = result.heartbeats;
      const fields = {
        locks: result.locks,
        handedOver: result.handedTo.length,
        superseded: result.superseded.length,
        dropped: result.dropped.length,
        heartbeats: beats?.beaten ?? 0,
        dead: beats?.dead.length ?? 0,
      };
      if (result.failed.length > 0)
        step.logger.warn('lock sweep: some handoffs failed', { ...fields, failed: result.failed });
      // A run that misses its heartbeat only goes back to AcquireLock, but many in a row mean trouble.
      if (beats !== undefined && beats.failed.length > 0)
        step.logger.warn('lock sweep: some heartbeats failed', { ...fields, failedHeartbeats: beats.failed });
      if (result.failed.length === 0 && (beats?.failed.length ?? 0) === 0 && result.locks + fields.dead > 0)
        step.logger.info('lock sweep', fields);
      return result;
    },
    observability,
  );
}

export const handler = createHandler();
