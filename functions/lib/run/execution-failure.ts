import type { Status } from '../status.ts';
import type { CaughtError } from '../workflow/contract.ts';

/**
 * The `Error` a failed execution shows in the Step Functions console (the Fail state's ErrorPath):
 * a short code that says whose move it is. Keep them stable: alarms and people filter on them.
 */
export const ExecutionErrors = {
  /** pushgate.yml at the commit is invalid: fix it in the repository and push again. */
  ValidationFailed: 'ValidationFailed',
  /** The platform policy is missing or does not allow what the run needs: the platform team's move. */
  PolicyFailed: 'PolicyFailed',
  /** A plan or apply (or a step around it) failed for at least one target. */
  TargetFailed: 'TargetFailed',
  /** The lock was taken over while this run applied: look at what both runs did. */
  LockConflict: 'LockConflict',
  /** An approver rejected the plan. */
  ApprovalRejected: 'ApprovalRejected',
  /** Nobody approved within the environment's approval timeout. */
  ApprovalExpired: 'ApprovalExpired',
  /** The run was cancelled (a duplicate, or stopped) before it ended. */
  Cancelled: 'Cancelled',
  /** Anything else outside the targets (the git host, the store, the run failed before it started). */
  RunFailed: 'RunFailed',
} as const;
export type ExecutionError = (typeof ExecutionErrors)[keyof typeof ExecutionErrors];

/**
 * How long the Cause gets. Step Functions takes 32,768 characters; the console shows the first few
 * lines, and the run record, `pushgate run` and the execution history keep the whole story.
 */
export const MAX_CAUSE = 1000;

/** Run statuses that end the execution Failed; every other one (succeeded, no_changes, skipped, superseded) Succeeds. */
const FAILING_RUN: ReadonlySet<Status> = new Set(['failed', 'cancelled', 'conflict', 'rejected', 'expired']);

/** Which failing target names the error when several fail differently: the one that needs a person most. */
const TARGET_ERRORS: readonly (readonly [Status, ExecutionError])[] = [
  ['conflict', ExecutionErrors.LockConflict],
  ['failed', ExecutionErrors.TargetFailed],
  ['rejected', ExecutionErrors.ApprovalRejected],
  ['expired', ExecutionErrors.ApprovalExpired],
  ['cancelled', ExecutionErrors.Cancelled],
];

/** Errors that Validate (or any step outside the targets) raises, by what they mean to a person. */
const CAUGHT_ERRORS: Record<string, ExecutionError> = {
  InvalidConfigError: ExecutionErrors.ValidationFailed,
  PolicyError: ExecutionErrors.PolicyFailed,
};

export interface EndedRun {
  status: Status;
  reason?: string;
  targets: readonly { project: string; environment: string; status: Status; reason?: string }[];
}

/**
 * The `error` and `cause` the Outcome state ends a failed execution with, or undefined for a run
 * that ends the execution Succeeded. The cause is the run's own reason (what `pushgate run`, Slack
 * and the pull request say), cut to MAX_CAUSE; `caught` is what RecordFailure received, which tells
 * a broken pushgate.yml from the rest.
 */
export function executionFailure(
  run: EndedRun,
  caught?: CaughtError,
): { error: ExecutionError; cause: string } | undefined {
  if (!FAILING_RUN.has(run.status)) return undefined;
  return { error: errorCode(run, caught), cause: clip(causeText(run)) };
}

function errorCode(run: EndedRun, caught: CaughtError | undefined): ExecutionError {
  if (run.status === 'cancelled') return ExecutionErrors.Cancelled;
  if (caught) return CAUGHT_ERRORS[caught.Error] ?? ExecutionErrors.RunFailed;
  for (const [status, error] of TARGET_ERRORS) {
    if (run.targets.some((target) => target.status === status)) return error;
  }
  return ExecutionErrors.RunFailed;
}

function causeText(run: EndedRun): string {
  const reason = run.reason?.trim();
  if (reason) return reason;
  const failed = run.targets.filter((target) => FAILING_RUN.has(target.status));
  if (failed.length > 0) {
    return failed.map((t) => `${t.project}/${t.environment}: ${t.reason?.trim() || t.status}`).join('; ');
  }
  return `the run ended ${run.status}`;
}

function clip(text: string): string {
  const chars = [...text];
  return chars.length > MAX_CAUSE ? `${chars.slice(0, MAX_CAUSE - 1).join('')}…` : text;
}
