import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { readEnv } from '../lib/read-env.ts';
import { summarize, type SummarizeDeps } from '../lib/run/summarize.ts';
import { s3Client } from '../lib/runtime/clients/s3.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { SummarizeInput, type PlannedTarget } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

export type SummarizeHandlerDeps = SummarizeDeps & { logger: Logger };

const defaultDeps = (): SummarizeHandlerDeps => ({
  s3: s3Client(),
  bucket: readEnv({ ARTIFACT_BUCKET: z.string().min(1) }).ARTIFACT_BUCKET,
  store: runtimeStore(),
  logger: functionLogger('summarize'),
});

/**
 * Step Functions `Summarize` (ResultPath `$.planned`): SummarizeInput → PlannedTarget. A
 * PlanFormatError, PlanArtifactMissingError or PlanIntegrityError fails the target through the state's Catch.
 */
export function createHandler(deps: () => SummarizeHandlerDeps = defaultDeps) {
  return async (event: unknown): Promise<PlannedTarget> => {
    const input = parseStepInput(SummarizeInput, event, 'Summarize');
    const resolved = deps();
    resolved.logger.appendKeys({ runId: input.run.runId, deliveryId: input.run.deliveryId });
    return summarize(input, resolved);
  };
}

export const handler = createHandler();
