import * as z from 'zod';
import { readEnv } from '../lib/read-env.ts';
import { executionEnded, ExecutionStatusChange, type ExecutionEndedDeps } from '../lib/run/execution-ended.ts';
import { stopApplyBuilds } from '../lib/run/stop-apply-builds.ts';
import { codeBuildClient } from '../lib/runtime/clients/codebuild.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { quietHandOver } from '../lib/locks/runtime-hand-over.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const env = readEnv({ APPLY_PROJECT_NAME: z.string().min(1) });

const defaultDeps = (): ExecutionEndedDeps => ({
  store: runtimeStore(),
  handOver: quietHandOver('executionEnded'),
  stopApplyBuilds: (runId) =>
    stopApplyBuilds({ codebuild: codeBuildClient(), projectName: env.APPLY_PROJECT_NAME, runId }),
});

/** EventBridge: an execution of the deploy state machine was stopped, timed out or failed. */
export function createHandler(
  deps: () => ExecutionEndedDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler(
    'executionEnded',
    async (event, step) => {
      const change = parseStepInput(ExecutionStatusChange, event, 'ExecutionEnded');
      step.appendKeys({ executionArn: change.detail.executionArn });
      const result = await executionEnded(change, { metrics: step.metrics, ...deps() });
      step.appendKeys({ runId: result.runId });
      step.logger.info('execution ended', { executionStatus: change.detail.status, runStatus: result.status });
      return result;
    },
    observability,
  );
}

export const handler = createHandler();
