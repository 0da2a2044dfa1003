import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startBenchStack } from './lib/bench-stack.ts';
import { handoffLatencies, percentile } from './lib/handoff-latencies.ts';
import { NOOP_PROJECT, noopRepository } from './lib/noop-config.ts';
import { printTable } from './lib/print-table.ts';

/** Runs pushed one after another to one project and environment (issue 12's second case). */
const PUSHES = 30;

/**
 * The lock queue on the local stack: 30 pushes to one project and environment in quick succession,
 * the `command` engine doing nothing. Every run is recorded; each waits in WaitForLock on a task token
 * and is handed the lock by the run before it (or ends superseded at PrepareApply, its branch having
 * moved on). Reported: the handoff latency, from the state that released the lock being entered
 * (ReleaseLock or TargetFailed: it releases, then hands over and resumes the next run before it
 * exits) to the next holder's WaitForLock exiting resumed, p50 / p99 / max, with its ratio to one
 * Lambda step of the same runs (AcquireLock, entered to exited); and the history events of the run that
 * waited longest, next to how long it waited.
 */
export default async function lockHandoff(): Promise<void> {
  const bench = await startBenchStack();
  try {
    const repo = await bench.repository('handoff', noopRepository());
    const runIds: string[] = [];
    let lastSha = '';
    for (let i = 1; i <= PUSHES; i++) {
      const push = await repo.push({ [`${NOOP_PROJECT.dir}/version`]: `${i}\n` }, `v${i}`);
      runIds.push(...push.runIds);
      lastSha = push.sha;
    }
    const runs = await Promise.all(runIds.map((runId) => bench.ended(runId)));
    const byStatus = new Map<string, number>();
    for (const { run } of runs) byStatus.set(run.status, (byStatus.get(run.status) ?? 0) + 1);

    const { latencies, longest: waited } = handoffLatencies(
      runs.map((run) => ({ runId: run.run.runId, history: run.history })),
    );
    const longest = waited && { run: runs.find((run) => run.run.runId === waited.runId)!, waitedMs: waited.waitedMs };
    const pct = (p: number) => percentile(latencies, p);
    // The baseline, measured in the same runs: one Lambda step of the workflow (AcquireLock entered →
    // exited), the least a handoff (a release, a SendTaskSuccess, the waiter's next state) could cost.
    const steps = runs.flatMap((run) => durations(run.history, 'AcquireLock')).sort((a, b) => a - b);
    const ratio = (value: number) => `×${(value / percentile(steps, 50)).toFixed(1)}`;
    const deployed = (await bench.store.getCurrent(repo.fullName, NOOP_PROJECT.environment))[0]?.sha;
    console.log(`runs recorded: ${runs.length} of ${PUSHES}; deployed now is the last push: ${deployed === lastSha}`);
    console.log(
      `${PUSHES} pushes to ${NOOP_PROJECT.name}/${NOOP_PROJECT.environment}: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}`,
    );
    printTable(
      ['', 'count', 'p50 ms', 'ratio', 'p99 ms', 'ratio', 'max ms'],
      [
        [
          'baseline: one Lambda step (AcquireLock)',
          String(steps.length),
          percentile(steps, 50).toFixed(0),
          '×1.0',
          percentile(steps, 99).toFixed(0),
          ratio(percentile(steps, 99)),
          (steps.at(-1) ?? NaN).toFixed(0),
        ],
        [
          'lock handoff (release → waiter resumed)',
          String(latencies.length),
          pct(50).toFixed(0),
          ratio(pct(50)),
          pct(99).toFixed(0),
          ratio(pct(99)),
          (latencies.at(-1) ?? NaN).toFixed(0),
        ],
      ],
    );
    if (longest) {
      printTable(
        ['run that waited longest', 'waited s', 'WaitForLock entries', 'history events', 'LockHeldError retries'],
        [
          [
            longest.run.run.runId,
            (longest.waitedMs / 1000).toFixed(1),
            String(enters(longest.run.history, 'WaitForLock').length),
            String(longest.run.history.length),
            String(
              longest.run.history.filter((e) => e.lambdaFunctionFailedEventDetails?.error === 'LockHeldError').length,
            ),
          ],
        ],
      );
    }
  } finally {
    await bench.stop();
  }
}

function enters(history: HistoryEvent[], state: string): number[] {
  return history.filter((e) => e.stateEnteredEventDetails?.name === state).map((e) => e.timestamp!.getTime());
}

/** How long each entry of `state` lasted, entered to exited, in order (the Map's iterations apart). */
function durations(history: HistoryEvent[], state: string): number[] {
  const exited = history.filter((e) => e.stateExitedEventDetails?.name === state).map((e) => e.timestamp!.getTime());
  return enters(history, state).flatMap((at, i) => (exited[i] === undefined ? [] : [exited[i] - at]));
}
