import { quietHandOver } from '../lib/locks/runtime-hand-over.ts';
import { waitForLock, type WaitForLockDeps } from '../lib/locks/wait-for-lock.ts';
import { createSfnTaskResumer } from '../lib/runtime/clients/sfn-task-resumer.ts';
import { stepHandler, targetKeys, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { WaitForLockInput, type WaitForLockOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): WaitForLockDeps => ({
  store: runtimeStore(),
  // A handoff that fails here is not this run's failure: the lock sweep repeats it within a minute.
  handOver: quietHandOver('waitForLock'),
  tasks: createSfnTaskResumer(),
});

/** Step Functions `WaitForLock` (lambda:invoke.waitForTaskToken): parks the run's ticket. The task token is never logged. */
export function createHandler(
  deps: () => WaitForLockDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<WaitForLockOutput>(
    'waitForLock',
    async (event, step) => {
      const input = parseStepInput(WaitForLockInput, event, 'WaitForLock');
      step.appendKeys(targetKeys(input));
      const output = await waitForLock(input, deps());
      step.logger.info('waiting for the lock', { parked: output.parked, handedTo: output.handedTo });
      return output;
    },
    observability,
  );
}

export const handler = createHandler();
