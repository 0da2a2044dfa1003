import { acquireLock, type AcquireLockDeps } from '../lib/run/acquire-lock.ts';
import { renewLock } from '../lib/run/renew-lock.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { AcquireLockInput, RenewLockInput, type LockResult } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

/**
 * AcquireLock and RenewLock run in this one Lambda: RenewLock's Parameters add `renew: true`
 * (state-machines/deploy.asl.yml), and each goes to its own step.
 */
export function acquireOrRenewLock(
  input: AcquireLockInput | RenewLockInput,
  deps: AcquireLockDeps,
): Promise<LockResult> {
  return 'renew' in input && input.renew ? renewLock(input, deps) : acquireLock(input, deps);
}

const defaultDeps = (): AcquireLockDeps => ({ store: runtimeStore() });

/** Step Functions `AcquireLock` and `RenewLock`: a thrown LockHeldError is retried by AcquireLock's Retry. */
export function createHandler(deps: () => AcquireLockDeps = defaultDeps) {
  return async (event: unknown): Promise<LockResult> => {
    const renew = (event as { renew?: unknown } | null)?.renew === true;
    const input = renew
      ? parseStepInput(RenewLockInput, event, 'RenewLock')
      : parseStepInput(AcquireLockInput, event, 'AcquireLock');
    return acquireOrRenewLock(input, deps());
  };
}

export const handler = createHandler();
