import { acquireLock, type AcquireLockDeps } from '../lib/run/acquire-lock.ts';
import { runtimeArtifactLinks } from '../lib/runtime/artifact-links.ts';
import { stepHandler, targetKeys, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { AcquireLockInput, type LockResult } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): AcquireLockDeps => ({
  store: runtimeStore(),
  artifacts: runtimeArtifactLinks(),
});

/** Step Functions `AcquireLock`: a thrown LockHeldError is retried by the state's Retry. */
export function createHandler(
  deps: () => AcquireLockDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<LockResult>(
    'acquireLock',
    async (event, step) => {
      const input = parseStepInput(AcquireLockInput, event, 'AcquireLock');
      step.appendKeys(targetKeys(input));
      return acquireLock(input, { metrics: step.metrics, ...deps() });
    },
    observability,
  );
}

export const handler = createHandler();
