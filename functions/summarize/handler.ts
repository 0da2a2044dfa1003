import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { readEnv } from '../lib/read-env.ts';
import { summarize, type SummarizeDeps } from '../lib/run/summarize.ts';
import { s3Client } from '../lib/runtime/clients/s3.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, targetKeys, type StepObservability } from '../lib/runtime/step-handler.ts';
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
export function createHandler(
  deps: () => SummarizeHandlerDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<PlannedTarget>(
    'summarize',
    async (event, step) => {
      const input = parseStepInput(SummarizeInput, event, 'Summarize');
      step.appendKeys(targetKeys(input));
      return summarize(input, deps());
    },
    observability,
  );
}

export const handler = createHandler();
