import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { localStsEndpoint, verifyCallerIdentity } from '../lib/approval/verify-caller-identity.ts';
import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { readPolicy } from '../lib/policy/read-policy.ts';
import { readEnv } from '../lib/read-env.ts';
import type { RollbackResult } from '../lib/rollback/rollback-invocation.ts';
import { startRollback, type StartRollbackDeps } from '../lib/rollback/start-rollback.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { createSfnWorkflow } from '../lib/workflow/sfn-workflow.ts';

export type RollbackHandlerDeps = StartRollbackDeps & { logger: Logger };

const defaultDeps = async (): Promise<RollbackHandlerDeps> => ({
  store: runtimeStore(),
  gitHost: await gitHubFromEnv(),
  policy: async () => (await readPolicy()).policy,
  verifyIdentity: (url, intent) => verifyCallerIdentity(url, intent, localStsEndpoint()),
  workflow: createSfnWorkflow({ stateMachineArn: readEnv({ STATE_MACHINE_ARN: z.string().min(1) }).STATE_MACHINE_ARN }),
  logger: functionLogger('rollback'),
});

/** `pushgate rollback` (Lambda Invoke, RequestResponse): the result, refusals included, is the answer. */
export function createHandler(
  deps: () => Promise<RollbackHandlerDeps> = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<RollbackResult>(
    'rollback',
    async (event) => {
      const resolved = await deps();
      const result = await startRollback(event, resolved);
      if (!result.ok) resolved.logger.info('rollback refused', { code: result.code, message: result.message });
      return result;
    },
    observability,
  );
}

export const handler = createHandler();
