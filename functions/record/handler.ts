import { record, type RecordDeps } from '../lib/run/record.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { RecordInput, type RunOutcome } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): RecordDeps => ({ store: runtimeStore() });

/** Step Functions `Record` / `RecordFailure`: the run's final status, the outcome Notify sends. */
export function createHandler(deps: () => RecordDeps = defaultDeps) {
  return async (event: unknown): Promise<RunOutcome> => record(parseStepInput(RecordInput, event, 'Record'), deps());
}

export const handler = createHandler();
