import * as z from 'zod';
import { RunKind } from '../run-request.ts';
import { STATUSES } from '../status.ts';
import type { PlanSummary } from '../store/types.ts';

const Status = z.enum(STATUSES);

const PlanSummarySchema = z.object({
  add: z.number().int().nonnegative(),
  change: z.number().int().nonnegative(),
  destroy: z.number().int().nonnegative(),
  replace: z.number().int().nonnegative(),
  import: z.number().int().nonnegative().optional(),
  forget: z.number().int().nonnegative().optional(),
  outputChanges: z.array(z.string()),
  hasChanges: z.boolean(),
}) satisfies z.ZodType<PlanSummary>;

/**
 * How a run ended, as the `Record` step returns it and `Notify` receives it (`{ outcome }`): what a
 * person needs to read in Slack or on a pull request, and nothing secret.
 */
export const RunOutcome = z.object({
  runId: z.string().min(1),
  repo: z.string(),
  kind: RunKind,
  branch: z.string(),
  sha: z.string(),
  actor: z.string(),
  status: Status,
  reason: z.string().optional(),
  executionArn: z.string().optional(),
  consoleUrl: z.string().optional(),
  targets: z.array(
    z.object({
      project: z.string(),
      environment: z.string(),
      status: Status,
      summary: PlanSummarySchema.optional(),
      reason: z.string().optional(),
    }),
  ),
});
export type RunOutcome = z.infer<typeof RunOutcome>;
export type TargetOutcome = RunOutcome['targets'][number];
