import * as z from 'zod';
import { RunRequest } from '../run-request.ts';
import { StepInputError } from './errors.ts';

/** What the state machine hands every per-target step (a Map iteration's data), parsed at the boundary. */
export const TargetSpecSchema = z.object({
  project: z.string(),
  environment: z.string(),
  engine: z.enum(['terraform', 'opentofu', 'cloudformation', 'command']),
  dir: z.string(),
  after: z.array(z.string()),
  approval: z.object({ required: z.boolean(), approvers: z.array(z.string()) }),
  buildspec: z.object({ plan: z.string(), apply: z.string().optional() }),
  artifactPrefix: z.string(),
});

export const RunSettingsSchema = z.object({
  planOnly: z.boolean(),
  concurrency: z.enum(['queue', 'supersede']),
  leaseSeconds: z.number().int().positive(),
  lockWaitMinutes: z.number().positive().optional(),
  sourceLocation: z.string(),
  queuePosition: z.string(),
});

/** `{ Error, Cause }` as Step Functions' Catch puts it at ResultPath. */
export const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof CaughtError>;

export const TargetStepInput = z.object({
  run: RunRequest,
  settings: RunSettingsSchema,
  target: TargetSpecSchema,
  /** `$$.State.EnteredTime` of AcquireLock: fixed across retries, so it tells how long we have waited. */
  waitingSince: z.string().optional(),
  /** RenewLock: extend the lease of a lock this run holds, before Apply. */
  renew: z.boolean().optional(),
  planned: z
    .object({ next: z.enum(['apply', 'approve', 'done']), planSha256: z.string() })
    .passthrough()
    .optional(),
  /** The Plan state's ResultSelector; `exported` is CodeBuild's ExportedEnvironmentVariables (PascalCase). */
  planBuild: z
    .object({
      buildId: z.string(),
      exported: z.array(z.object({ Name: z.string().optional(), Value: z.string().optional() })).optional(),
    })
    .passthrough()
    .optional(),
  applyBuild: z.object({ buildId: z.string() }).passthrough().optional(),
  error: CaughtError.optional(),
});
export type TargetStepInput = z.infer<typeof TargetStepInput>;

export function parseStepInput<T extends z.ZodType>(schema: T, input: unknown, step: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new StepInputError(`${step} received an input it cannot use: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
