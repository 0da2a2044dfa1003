import * as z from 'zod';
import { readEnv } from '../lib/read-env.ts';
import { executionEnded, ExecutionStatusChange, type ExecutionEndedDeps } from '../lib/run/execution-ended.ts';
import { stopApplyBuilds } from '../lib/run/stop-apply-builds.ts';
import { codeBuildClient } from '../lib/runtime/clients/codebuild.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const env = readEnv({ APPLY_PROJECT_NAME: z.string().min(1) });

const defaultDeps = (): ExecutionEndedDeps => ({
  store: runtimeStore(),
  stopApplyBuilds: (runId) =>
    stopApplyBuilds({ codebuild: codeBuildClient(), projectName: env.APPLY_PROJECT_NAME, runId }),
});

/** EventBridge: an execution of the deploy state machine was stopped, timed out or failed. */
export function createHandler(deps: () => ExecutionEndedDeps = defaultDeps) {
  return async (event: unknown) =>
    executionEnded(parseStepInput(ExecutionStatusChange, event, 'ExecutionEnded'), deps());
}

export const handler = createHandler();
