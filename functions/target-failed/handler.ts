import { targetFailed, type TargetFailedDeps } from '../lib/run/target-failed.ts';
import { stepHandler, targetKeys, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { quietHandOver } from '../lib/locks/runtime-hand-over.ts';
import { TargetFailedInput, type TargetFailedOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): TargetFailedDeps => ({ store: runtimeStore(), handOver: quietHandOver('targetFailed') });

/** Step Functions `TargetFailed`: every per-target Catch ends here. */
export function createHandler(
  deps: () => TargetFailedDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<TargetFailedOutput>(
    'targetFailed',
    async (event, step) => {
      const input = parseStepInput(TargetFailedInput, event, 'TargetFailed');
      step.appendKeys(targetKeys(input));
      const output = await targetFailed(input, { metrics: step.metrics, ...deps() });
      step.logger.info('target ended', { status: output.status, error: input.error?.Error });
      return output;
    },
    observability,
  );
}

export const handler = createHandler();
