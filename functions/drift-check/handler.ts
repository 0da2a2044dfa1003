import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import type { DriftCheckResult } from '../lib/drift/drift-invocation.ts';
import { startDriftChecks, type StartDriftChecksDeps } from '../lib/drift/start-drift-checks.ts';
import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { readEnv } from '../lib/read-env.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { createSfnWorkflow } from '../lib/workflow/sfn-workflow.ts';

export type DriftCheckHandlerDeps = StartDriftChecksDeps & { logger: Logger };

const defaultDeps = async (): Promise<DriftCheckHandlerDeps> => ({
  store: runtimeStore(),
  gitHost: await gitHubFromEnv(),
  workflow: createSfnWorkflow({ stateMachineArn: readEnv({ STATE_MACHINE_ARN: z.string().min(1) }).STATE_MACHINE_ARN }),
  logger: functionLogger('driftCheck'),
});

/**
 * The drift function: EventBridge Scheduler's `{ source: 'schedule' }` (every driftTick; only the
 * checks that are due start) and `pushgate drift`'s `{ source: 'cli', … }` (Lambda Invoke,
 * RequestResponse: the runs it started are the answer).
 */
export function createHandler(
  deps: () => Promise<DriftCheckHandlerDeps> = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<DriftCheckResult>(
    'driftCheck',
    async (event) => {
      const resolved = await deps();
      const result = await startDriftChecks(event, resolved);
      resolved.logger.info('drift checks', {
        source: (event as { source?: unknown } | null)?.source,
        started: result.started.map((check) => check.runId),
        skipped: result.skipped.length,
      });
      return result;
    },
    observability,
  );
}

export const handler = createHandler();
