import { executionEnded, ExecutionStatusChange } from '../lib/run/execution-ended.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput } from '../lib/run/step-input.ts';

/** EventBridge: an execution of the deploy state machine was stopped or timed out. */
export const handler = async (event: unknown) =>
  executionEnded(parseStepInput(ExecutionStatusChange, event, 'ExecutionEnded'), { store: defaultStore() });
