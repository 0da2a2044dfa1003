import { isFinal, type Status } from '../status.ts';
import { targetKeyOf } from '../store/target-key.ts';
import type { LockStore, TargetStore } from '../store/types.ts';
import type { HandOver } from '../locks/hand-over.ts';
import {
  WorkflowErrors,
  type CaughtError,
  type LockResult,
  type TargetFailedOutput,
  type TargetStep,
} from '../workflow/contract.ts';
import { lockWaitTimeoutReason } from './acquire-lock.ts';
import { describeError } from './describe-error.ts';
import type { RunMetrics } from './run-metrics.ts';

/** Which status a caught error leaves the target in. Everything not named here is a failure. */
const STATUS_BY_ERROR: Record<string, Status> = {
  [WorkflowErrors.Superseded]: 'superseded',
  [WorkflowErrors.DependencyFailed]: 'skipped',
  [WorkflowErrors.ApprovalRejected]: 'rejected',
};

/** The errors that end a target still waiting for its lock. */
const LOCK_WAIT_ENDED: ReadonlySet<string> = new Set([WorkflowErrors.LockHeld, 'LockWaitTimeoutError']);

/** What TargetFailed reads of its input (TargetFailedInput carries the whole iteration's data). */
export type TargetFailedReads = TargetStep & {
  error?: CaughtError;
  lock?: Pick<LockResult, 'waiting' | 'heldBy'>;
};

export interface TargetFailedDeps {
  store: TargetStore & LockStore;
  /** ApprovalsExpired and LockWaitsTimedOut, once, when the target is recorded as ended by them. */
  metrics?: Pick<RunMetrics, 'approvalExpired' | 'lockWaitTimedOut'>;
  /** Hands the released lock (or this run's place in its queue) to the next run (locks/hand-over.ts). */
  handOver?: HandOver;
  now?: () => Date;
}

/**
 * The `TargetFailed` state, reached by every per-target Catch: records why, releases the lock (only
 * ours) and leaves the queue, then ends the Map iteration normally so the run's other targets go on.
 */
export async function targetFailed(input: TargetFailedReads, deps: TargetFailedDeps): Promise<TargetFailedOutput> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target } = input;
  const error = input.error ?? { Error: 'Unknown', Cause: 'the state machine sent no error' };
  let status = STATUS_BY_ERROR[error.Error] ?? 'failed';
  let reason = describeError(error);
  const key = targetKeyOf(run, target);
  // Release first: a record that cannot be written must not keep the lock held.
  await store.releaseLock(key, run.runId);
  await store.leaveQueue(key, run.runId);
  // Also when this run only waited: it may have been the next in line, which others wait behind.
  if (!input.settings.planOnly) await deps.handOver?.(key);
  // A rejected or timed-out approval: its token must not resume anything any more.
  if (target.approval.required) await store.forgetApprovalToken(run.runId, target.project, target.environment);
  const current = await store.getTarget(run.runId, target.project, target.environment);
  // Only WaitForApproval has a timeout: passing it while the target waits means nobody approved in time.
  if (error.Error === WorkflowErrors.Timeout && current?.status === 'awaiting_approval') {
    status = 'expired';
    reason = `nobody approved within ${formatWait(target.approval.timeoutSeconds)}; push again or run the plan again to ask anew`;
  }
  if (error.Error === WorkflowErrors.ApprovalRejected) reason = error.Cause ?? 'the plan was rejected';
  // WaitForLock's timeout (what was left of lockWaitMinutes) passed while the target waited for its lock.
  const lockWaitTimedOut = error.Error === WorkflowErrors.Timeout && input.lock?.waiting === true;
  if (lockWaitTimedOut) reason = lockWaitTimeoutReason(input, input.settings.lockWaitMinutes, input.lock?.heldBy);
  if (current && !isFinal(current.status)) {
    await store.setTargetStatus(run.runId, target.project, target.environment, status, { reason }, now);
    if (status === 'expired') deps.metrics?.approvalExpired();
    // Past lockWaitMinutes (LockWaitTimeoutError), or the state's retries of LockHeldError ran out.
    if (LOCK_WAIT_ENDED.has(error.Error) || lockWaitTimedOut) deps.metrics?.lockWaitTimedOut();
  }
  return { status, reason };
}

function formatWait(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
