import * as z from 'zod';
import { record, STOPPED_ERROR, type RecordDeps } from './record.ts';

/**
 * The EventBridge event Step Functions sends when an execution's status changes.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
export const ExecutionStatusChange = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChange>;

export type ExecutionEndedDeps = RecordDeps & {
  /** Stops the run's apply builds still running and waits for them to end (stop-apply-builds.ts). */
  stopApplyBuilds?: (runId: string) => Promise<unknown>;
};

/**
 * An execution that was stopped (StopExecution), timed out, or failed with an error no Catch takes
 * (States.Runtime, States.DataLimitExceeded) never reaches Record: no state runs
 * after it. This closes its run as Record would have — targets left open are cancelled or failed,
 * every lock it holds is released at once instead of at the end of its lease — so nothing stays
 * `running`. Executions that ended through the workflow are already recorded; for them this only
 * repeats the lock release, which is owner-conditioned and harmless.
 */
export async function executionEnded(
  event: ExecutionStatusChange,
  deps: ExecutionEndedDeps,
): Promise<{ runId?: string; status?: string }> {
  const { detail } = event;
  if (detail.status !== 'ABORTED' && detail.status !== 'TIMED_OUT' && detail.status !== 'FAILED') return {};
  let runId: string | undefined;
  try {
    runId = (JSON.parse(detail.input ?? '{}') as { runId?: unknown }).runId as string | undefined;
  } catch {
    runId = undefined;
  }
  if (typeof runId !== 'string' || !(await deps.store.getRun(runId))) return {};
  // What StopExecution was given (error, cause) or the failed execution's Error and Cause (the Fail
  // state's, or the error no Catch took) become the run's reason, so `pushgate run` says what the console says.
  const error =
    detail.status === 'ABORTED'
      ? {
          Error: STOPPED_ERROR,
          Cause: `the execution was stopped${detail.error ? ` (${detail.error})` : ''}${detail.cause ? `: ${detail.cause}` : ''}`,
        }
      : detail.status === 'TIMED_OUT'
        ? { Error: 'States.Timeout', Cause: 'the execution timed out' }
        : { Error: detail.error ?? 'States.Failed', Cause: detail.cause ?? 'the execution failed' };
  // A run the workflow already recorded keeps its status (record leaves final runs alone); only
  // its locks are released again, which is owner-conditioned and harmless.
  // Before any lock is released: an apply still running must have ended (ApplyStillRunningError makes
  // EventBridge's asynchronous invocation try again later; the lock stays held until then).
  const targets = await deps.store.listTargets(runId);
  if (
    deps.stopApplyBuilds &&
    targets.some((target) => target.status === 'applying' || target.status === 'awaiting_approval')
  ) {
    await deps.stopApplyBuilds(runId);
  }
  const outcome = await record({ runId, executionArn: detail.executionArn, error }, deps);
  return { runId, status: outcome.status };
}
