import { finishTarget } from '../lib/run/finish-target.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput, TargetStepInput } from '../lib/run/step-input.ts';

/** Step Functions `ReleaseLock`: records the deployment and releases the lock. */
export const handler = async (event: unknown) =>
  finishTarget(parseStepInput(TargetStepInput, event, 'ReleaseLock'), { store: defaultStore() });
