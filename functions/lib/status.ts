/**
 * The status lifecycle of runs and targets. A write that does not follow an arrow below is
 * rejected by the store (its condition expression lists the allowed previous states), not written.
 *
 *   queued → running → planned → awaiting_approval → applying → succeeded
 *                         ↘ no_changes          ↘ rejected (an approver said no: SendTaskFailure ApprovalRejected)
 *                                               ↘ expired (nobody decided within approval.timeoutMinutes)
 *   any non-final → failed | cancelled | superseded | skipped
 *   applying → conflict (its lock was taken over before it released it)
 * A deploy target goes from `applying` (or `awaiting_approval` once approved) to `succeeded`.
 */
export const STATUSES = [
  'queued',
  'running',
  'planned',
  'awaiting_approval',
  'applying',
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'skipped',
  'no_changes',
  // A release found the lock taken over by another run: what this target applied may have raced it.
  'conflict',
  // An approver rejected the plan (a comment, Slack or the CLI); final.
  'rejected',
  // The approval wait timed out; final.
  'expired',
] as const;
export type Status = (typeof STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<Status> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'skipped',
  'no_changes',
  'conflict',
  'rejected',
  'expired',
]);

/**
 * `planned` is final for a plan-only run (pull request, drift) and moves on for a deploy, so it is
 * not in FINAL_STATUSES; a plan-only run's targets end `planned` and the run itself `succeeded`.
 */
const NEXT: Record<Status, readonly Status[]> = {
  queued: ['running', 'failed', 'cancelled', 'superseded', 'skipped'],
  running: [
    'planned',
    'no_changes',
    'awaiting_approval',
    'applying',
    'succeeded',
    'failed',
    'cancelled',
    'superseded',
    'skipped',
  ],
  planned: ['awaiting_approval', 'applying', 'succeeded', 'failed', 'cancelled', 'superseded', 'skipped'],
  // Itself: a retried WaitForApproval stores its new task token over the old one.
  awaiting_approval: [
    'awaiting_approval',
    'applying',
    'succeeded',
    'failed',
    'cancelled',
    'superseded',
    'rejected',
    'expired',
  ],
  // superseded: PrepareApply, before the apply build starts, finds that the branch moved on.
  applying: ['succeeded', 'failed', 'cancelled', 'conflict', 'superseded'],
  succeeded: [],
  failed: [],
  cancelled: [],
  superseded: [],
  skipped: [],
  no_changes: [],
  conflict: [],
  rejected: [],
  expired: [],
};

export function isFinal(status: Status): boolean {
  return FINAL_STATUSES.has(status);
}

export function canTransition(from: Status, to: Status): boolean {
  return NEXT[from].includes(to);
}

/** The statuses from which `to` may be reached: what a conditional write lists. */
export function allowedPredecessors(to: Status): Status[] {
  return STATUSES.filter((from) => canTransition(from, to));
}
