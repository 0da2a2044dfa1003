import { failTarget } from '../lib/run/fail-target.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput, TargetStepInput } from '../lib/run/step-input.ts';

/** Step Functions `TargetFailed`: every per-target Catch ends here. */
export const handler = async (event: unknown) =>
  failTarget(parseStepInput(TargetStepInput, event, 'TargetFailed'), { store: defaultStore() });
