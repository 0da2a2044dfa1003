import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** One run's execution history, as far as the lock handoff goes. */
export interface WaitingRun {
  runId: string;
  history: readonly HistoryEvent[];
}

export interface HandoffLatencies {
  /** Each resume's latency in ms, sorted ascending. */
  latencies: number[];
  /** The run that waited longest in WaitForLock, and how long in all. */
  longest?: { runId: string; waitedMs: number; history: readonly HistoryEvent[] };
}

/**
 * The lock handoff as lock-handoff.bench.ts measures it: from the state that released the lock being
 * entered (ReleaseLock or TargetFailed: it releases, then hands over and resumes the next run before
 * it exits) to the next holder's WaitForLock exiting resumed. Each resume is paired with the latest
 * release by another run at or before it.
 */
export function handoffLatencies(runs: readonly WaitingRun[]): HandoffLatencies {
  const releases = runs.flatMap((run) =>
    entered(run.history, ['ReleaseLock', 'TargetFailed']).map((t) => ({ t, runId: run.runId })),
  );
  const latencies: number[] = [];
  let longest: HandoffLatencies['longest'];
  for (const run of runs) {
    const waits = entered(run.history, ['WaitForLock']);
    const resumed = exited(run.history, ['WaitForLock']);
    for (const at of resumed) {
      const release = releases
        .filter((r) => r.runId !== run.runId && r.t <= at)
        .reduce<number | undefined>((latest, r) => (latest === undefined || r.t > latest ? r.t : latest), undefined);
      if (release !== undefined) latencies.push(at - release);
    }
    const waitedMs = resumed.reduce((sum, at, i) => sum + (at - (waits[i] ?? at)), 0);
    if (!longest || waitedMs > longest.waitedMs) longest = { runId: run.runId, waitedMs, history: run.history };
  }
  latencies.sort((a, b) => a - b);
  return { latencies, ...(longest === undefined ? {} : { longest }) };
}

/** Nearest-rank percentile of ascending values; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function entered(history: readonly HistoryEvent[], states: string[]): number[] {
  return history
    .filter((e) => states.includes(e.stateEnteredEventDetails?.name ?? ''))
    .map((e) => new Date(e.timestamp!).getTime());
}

function exited(history: readonly HistoryEvent[], states: string[]): number[] {
  return history
    .filter((e) => states.includes(e.stateExitedEventDetails?.name ?? ''))
    .map((e) => new Date(e.timestamp!).getTime());
}
