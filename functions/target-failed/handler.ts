import { targetFailed, type TargetFailedDeps } from '../lib/run/target-failed.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { TargetFailedInput, type TargetFailedOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): TargetFailedDeps => ({ store: runtimeStore() });

/** Step Functions `TargetFailed`: every per-target Catch ends here. */
export function createHandler(deps: () => TargetFailedDeps = defaultDeps) {
  return async (event: unknown): Promise<TargetFailedOutput> =>
    targetFailed(parseStepInput(TargetFailedInput, event, 'TargetFailed'), deps());
}

export const handler = createHandler();
