import * as z from 'zod';
import { createArtifactLinks } from '../lib/plan/artifact-links.ts';
import { readEnv } from '../lib/read-env.ts';
import { acquireLock, type AcquireLockDeps } from '../lib/run/acquire-lock.ts';
import { s3Client } from '../lib/runtime/clients/s3.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { AcquireLockInput, type LockResult } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): AcquireLockDeps => ({
  store: runtimeStore(),
  artifacts: createArtifactLinks(s3Client(), readEnv({ ARTIFACT_BUCKET: z.string().min(1) }).ARTIFACT_BUCKET),
});

/** Step Functions `AcquireLock`: a thrown LockHeldError is retried by the state's Retry. */
export function createHandler(deps: () => AcquireLockDeps = defaultDeps) {
  return async (event: unknown): Promise<LockResult> =>
    acquireLock(parseStepInput(AcquireLockInput, event, 'AcquireLock'), deps());
}

export const handler = createHandler();
