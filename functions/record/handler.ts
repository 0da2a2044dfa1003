import * as z from 'zod';
import { recordRun } from '../lib/run/record-run.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { CaughtError, parseStepInput } from '../lib/run/step-input.ts';

const RecordInput = z.object({ runId: z.string(), executionArn: z.string().optional(), error: CaughtError.optional() });

/** Step Functions `Record` / `RecordFailure`: the run's final status, the outcome Notify sends. */
export const handler = async (event: unknown) =>
  recordRun(parseStepInput(RecordInput, event, 'Record'), { store: defaultStore() });
