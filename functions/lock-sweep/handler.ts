import { runtimeHandOver } from '../lib/locks/runtime-hand-over.ts';
import { sweepLocks, type SweepLocksDeps, type SweepLocksResult } from '../lib/locks/sweep-locks.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';

const defaultDeps = (): SweepLocksDeps => ({ store: runtimeStore(), handOver: runtimeHandOver() });

/**
 * The lock sweep, every minute (EventBridge Scheduler; `pushgate dev` and tests invoke it): hands over
 * the locks that runs are parked on when they can be (a holder's lease ran out, a handoff failed).
 * Its event is not read.
 */
export function createHandler(
  deps: () => SweepLocksDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<SweepLocksResult>(
    'lockSweep',
    async (_event, step) => {
      const result = await sweepLocks(deps());
      const fields = {
        locks: result.locks,
        handedOver: result.handedTo.length,
        superseded: result.superseded.length,
        dropped: result.dropped.length,
      };
      if (result.failed.length > 0)
        step.logger.warn('lock sweep: some handoffs failed', { ...fields, failed: result.failed });
      else if (result.locks > 0) step.logger.info('lock sweep', fields);
      return result;
    },
    observability,
  );
}

export const handler = createHandler();
