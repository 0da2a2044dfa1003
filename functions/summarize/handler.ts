import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { defaultS3Client } from '../lib/plan/default-s3-client.ts';
import { summarizeTarget } from '../lib/plan/summarize-target.ts';
import { readEnv } from '../lib/read-env.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput, TargetStepInput } from '../lib/run/step-input.ts';

const logger = new Logger({ serviceName: 'pushgate-summarize' });

/**
 * Step Functions `Summarize` (ResultPath `$.planned`): `{ run, settings, target }` → PlannedTarget.
 * A PlanFormatError, PlanArtifactMissingError or PlanIntegrityError fails the target through the state's Catch.
 */
export const handler = async (event: unknown) => {
  const input = parseStepInput(TargetStepInput, event, 'Summarize');
  const { ARTIFACT_BUCKET } = readEnv({ ARTIFACT_BUCKET: z.string().min(1) });
  logger.appendKeys({ runId: input.run.runId, deliveryId: input.run.deliveryId });
  return summarizeTarget(input, { s3: defaultS3Client(), bucket: ARTIFACT_BUCKET, store: defaultStore(), logger });
};
