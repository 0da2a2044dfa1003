import { loadTargets } from '../lib/run/load-targets.ts';
import type { RunObjects } from '../lib/run/run-objects.ts';
import { runtimeRunObjects } from '../lib/runtime/run-objects.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { TargetsInput, type LoadedTargets } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

export interface LoadTargetsDeps {
  objects: Pick<RunObjects, 'get'>;
}

const defaultDeps = (): LoadTargetsDeps => ({ objects: runtimeRunObjects() });

/** Step Functions `LoadTargets` (state-machines/targets.asl.yml): a chunk reference → its targets. */
export function createHandler(
  deps: () => LoadTargetsDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<LoadedTargets>(
    'loadTargets',
    async (event, step) => {
      const input = parseStepInput(TargetsInput, event, 'LoadTargets');
      step.appendKeys({ runId: input.runId, chunk: input.chunk.name });
      return loadTargets(input, deps().objects);
    },
    observability,
  );
}

export const handler = createHandler();
