import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import * as z from 'zod';
import { readEnv } from '../lib/read-env.ts';
import { executionEnded, ExecutionStatusChange } from '../lib/run/execution-ended.ts';
import { stopApplyBuilds } from '../lib/run/stop-apply-builds.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput } from '../lib/run/step-input.ts';

const env = readEnv({ APPLY_PROJECT_NAME: z.string().min(1) });
const codebuild = new CodeBuildClient({});

/** EventBridge: an execution of the deploy state machine was stopped, timed out or failed. */
export const handler = async (event: unknown) =>
  executionEnded(parseStepInput(ExecutionStatusChange, event, 'ExecutionEnded'), {
    store: defaultStore(),
    stopApplyBuilds: (runId) => stopApplyBuilds({ codebuild, projectName: env.APPLY_PROJECT_NAME, runId }),
  });
