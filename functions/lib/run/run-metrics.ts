import type { Status } from '../status.ts';

/**
 * What the workflow's steps and the approval function tell about runs, as numbers: the port the
 * domain emits through. Lambda wires it to CloudWatch metrics (runtimeRunMetrics in
 * functions/lib/runtime/metrics.ts); tests pass a recorder; left out, nothing is emitted. Each is
 * emitted once per event, where the record moves (a retried step that finds the move done emits nothing).
 */
export interface RunMetrics {
  /** A run reached its final status (Record, or ExecutionEnded for an execution that never got there). */
  runEnded(status: Status): void;
  /** A target was applied, `seconds` after its push was received. */
  targetDeployed(seconds: number): void;
  /** A target got its lock after waiting `seconds` for it (0 when it was free). */
  lockAcquired(seconds: number): void;
  /** A target gave up waiting for its lock (lockWaitMinutes, or the workflow's retries, ran out). */
  lockWaitTimedOut(): void;
  /** An approval was decided (approved or rejected), `seconds` after it was requested. */
  approvalDecided(seconds: number): void;
  /** Nobody decided an approval before its timeout. */
  approvalExpired(): void;
}

/** Seconds from an ISO time to `now`; undefined for a time that does not parse. */
export function secondsSince(iso: string | undefined, now: Date): number | undefined {
  if (iso === undefined) return undefined;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (now.getTime() - at) / 1000);
}
