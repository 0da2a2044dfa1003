import { acquireLock, type AcquireLockDeps } from '../lib/run/acquire-lock.ts';
import { runtimeArtifactLinks } from '../lib/runtime/artifact-links.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { AcquireLockInput, type LockResult } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): AcquireLockDeps => ({
  store: runtimeStore(),
  artifacts: runtimeArtifactLinks(),
});

/** Step Functions `AcquireLock`: a thrown LockHeldError is retried by the state's Retry. */
export function createHandler(deps: () => AcquireLockDeps = defaultDeps) {
  return async (event: unknown): Promise<LockResult> =>
    acquireLock(parseStepInput(AcquireLockInput, event, 'AcquireLock'), deps());
}

export const handler = createHandler();
