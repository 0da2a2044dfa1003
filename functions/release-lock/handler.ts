import { releaseLock, type ReleaseLockDeps } from '../lib/run/release-lock.ts';
import { stepHandler, targetKeys, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { quietHandOver } from '../lib/locks/runtime-hand-over.ts';
import { ReleaseLockInput, type ReleaseLockOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): ReleaseLockDeps => ({ store: runtimeStore(), handOver: quietHandOver('releaseLock') });

/** Step Functions `ReleaseLock`: records the deployment and releases the lock. */
export function createHandler(
  deps: () => ReleaseLockDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<ReleaseLockOutput>(
    'releaseLock',
    async (event, step) => {
      const input = parseStepInput(ReleaseLockInput, event, 'ReleaseLock');
      step.appendKeys(targetKeys(input));
      return releaseLock(input, { metrics: step.metrics, ...deps() });
    },
    observability,
  );
}

export const handler = createHandler();
