import { releaseLock, type ReleaseLockDeps } from '../lib/run/release-lock.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { ReleaseLockInput, type ReleaseLockOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): ReleaseLockDeps => ({ store: runtimeStore() });

/** Step Functions `ReleaseLock`: records the deployment and releases the lock. */
export function createHandler(deps: () => ReleaseLockDeps = defaultDeps) {
  return async (event: unknown): Promise<ReleaseLockOutput> =>
    releaseLock(parseStepInput(ReleaseLockInput, event, 'ReleaseLock'), deps());
}

export const handler = createHandler();
