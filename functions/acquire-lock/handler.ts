import { acquireTargetLock } from '../lib/run/acquire-target-lock.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput, TargetStepInput } from '../lib/run/step-input.ts';

/** Step Functions `AcquireLock`: a thrown LockHeldError is retried by the state's Retry. */
export const handler = async (event: unknown) =>
  acquireTargetLock(parseStepInput(TargetStepInput, event, 'AcquireLock'), { store: defaultStore() });
