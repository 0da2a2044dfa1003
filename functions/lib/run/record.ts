import { runLink } from '../console-url.ts';
import { isFinal, type Status } from '../status.ts';
import type { HandOver } from '../locks/hand-over.ts';
import { targetKeyOf } from '../store/target-key.ts';
import type { LockStore, RunRecord, RunStore, TargetRecord, TargetStore } from '../store/types.ts';
import type { RecordInput, RunOutcome } from '../workflow/contract.ts';
import { describeError } from './describe-error.ts';
import { executionFailure } from './execution-failure.ts';
import type { RunMetrics } from './run-metrics.ts';

/** The error name the execution-ended handler records for an execution that was stopped. */
export const STOPPED_ERROR = 'States.Aborted';

export interface RecordDeps {
  store: RunStore & TargetStore & LockStore;
  /** Runs by outcome, once, when the run gets its final status here. */
  metrics?: Pick<RunMetrics, 'runEnded'>;
  /** Hands each released lock (or queue place) to the next run and resumes it (locks/hand-over.ts). */
  handOver?: HandOver;
  now?: () => Date;
}

/**
 * The `Record` state (and `RecordFailure`, its Catch twin): the run's final status from its targets.
 * Also the safety net that makes "nothing stays running" true: any target not final is closed and
 * any lock the run still holds is released, whatever path led here. A run that ends failed or
 * cancelled gets `error` and `cause` in its outcome (execution-failure.ts): the Outcome state ends
 * the execution Failed with them.
 */
export async function record(input: RecordInput, deps: RecordDeps): Promise<RunOutcome> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const run = await store.getRun(input.runId);
  if (!run) throw new Error(`run ${input.runId} has no record`);
  // Stopped by a person (StopExecution): cancelled, not failed; its reason is what they gave (execution-ended.ts).
  const stopped = input.error?.Error === STOPPED_ERROR;
  const errorReason = input.error
    ? describeError(stopped ? { Error: input.error.Cause ?? 'the execution was stopped' } : input.error)
    : undefined;

  const targets: TargetRecord[] = [];
  for (const target of await store.listTargets(run.runId)) {
    const key = targetKeyOf(run, target);
    // Deploying kinds (a drift run remediates where its config says so); releases are owner-conditioned.
    if (run.kind === 'push' || run.kind === 'comment' || run.kind === 'rollback' || run.kind === 'drift') {
      const released = await store.releaseLock(key, run.runId);
      await store.leaveQueue(key, run.runId);
      // A queued target may have been waiting (next in line): the runs behind it are handed the lock.
      if (released || target.status === 'queued') await deps.handOver?.(key);
    }
    if (isFinal(target.status) || target.status === 'planned') {
      targets.push(target);
      continue;
    }
    const status: Status = target.status === 'queued' || stopped ? 'cancelled' : 'failed';
    const reason = errorReason ?? `the run ended while this target was ${target.status}`;
    targets.push(await store.setTargetStatus(run.runId, target.project, target.environment, status, { reason }, now));
  }

  const { status, reason } = stopped
    ? { status: 'cancelled' as const, reason: errorReason }
    : decideRunStatus(run, targets, errorReason);
  let recorded = run;
  if (!isFinal(run.status)) {
    recorded = await store.setRunStatus(
      run.runId,
      status,
      { ...(reason ? { reason } : {}), ...(input.executionArn ? { executionArn: input.executionArn } : {}) },
      now,
    );
    deps.metrics?.runEnded(recorded.status);
  }
  const executionArn = input.executionArn ?? recorded.executionArn;
  const outcomeTargets = targets.map((t) => ({
    project: t.project,
    environment: t.environment,
    status: t.status,
    ...(t.summary ? { summary: t.summary } : {}),
    ...(t.reason ? { reason: t.reason } : {}),
    ...(t.drifted === undefined ? {} : { drifted: t.drifted }),
    ...(t.driftAlert === true ? { driftAlert: true } : {}),
    ...(t.driftSince === undefined ? {} : { driftSince: t.driftSince }),
  }));
  // What the Outcome state ends a failed execution with, so the console shows the real reason.
  const failure = executionFailure(
    { status: recorded.status, ...(recorded.reason ? { reason: recorded.reason } : {}), targets: outcomeTargets },
    input.error,
  );
  return {
    runId: recorded.runId,
    repo: recorded.repo,
    kind: recorded.kind,
    branch: recorded.branch,
    sha: recorded.sha,
    actor: recorded.actor,
    status: recorded.status,
    ...(recorded.reason ? { reason: recorded.reason } : {}),
    ...(recorded.announceSkipped === true ? { announceSkipped: true } : {}),
    ...(executionArn ? { executionArn, consoleUrl: runLink({ executionArn, runId: recorded.runId }) } : {}),
    ...failure,
    targets: outcomeTargets,
  };
}

const FAILED_TARGET: ReadonlySet<Status> = new Set(['failed', 'cancelled', 'conflict', 'rejected', 'expired']);

function decideRunStatus(
  run: RunRecord,
  targets: TargetRecord[],
  errorReason: string | undefined,
): { status: Status; reason?: string } {
  if (isFinal(run.status)) return { status: run.status, ...(run.reason ? { reason: run.reason } : {}) };
  if (errorReason) return { status: 'failed', reason: errorReason };
  if (targets.length === 0) return { status: 'skipped', reason: run.reason ?? 'nothing to do' };
  const count = (status: Status) => targets.filter((t) => t.status === status).length;
  // A conflict (the lock was taken over under an apply) fails the run: somebody must look.
  // So does an approval that was rejected or never came: nothing was deployed there.
  const failed = targets.filter((t) => FAILED_TARGET.has(t.status));
  if (failed.length > 0) {
    return {
      status: 'failed',
      reason: failed.map((t) => `${t.project}/${t.environment}: ${t.reason ?? t.status}`).join('; '),
    };
  }
  if (count('superseded') === targets.length) {
    return { status: 'superseded', reason: targets.find((t) => t.reason)?.reason ?? 'a newer run took over' };
  }
  if (count('skipped') === targets.length) return { status: 'skipped', reason: targets[0]?.reason ?? 'skipped' };
  if (count('no_changes') + count('skipped') === targets.length) return { status: 'no_changes' };
  return { status: 'succeeded' };
}
