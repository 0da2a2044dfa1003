import { record, type RecordDeps } from '../lib/run/record.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { quietHandOver } from '../lib/locks/runtime-hand-over.ts';
import { RecordInput, type RunOutcome } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): RecordDeps => ({ store: runtimeStore(), handOver: quietHandOver('record') });

/** Step Functions `Record` / `RecordFailure`: the run's final status, the outcome Notify sends. */
export function createHandler(deps: () => RecordDeps = defaultDeps, observability: Partial<StepObservability> = {}) {
  return stepHandler<RunOutcome>(
    'record',
    async (event, step) => {
      const input = parseStepInput(RecordInput, event, 'Record');
      step.appendKeys({ runId: input.runId });
      return record(input, { metrics: step.metrics, ...deps() });
    },
    observability,
  );
}

export const handler = createHandler();
