import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startBenchStack, type EndedRun } from './lib/bench-stack.ts';
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
 * exits) to the next holder's WaitForLock exiting resumed, p50 / p99 / max; and the
 * history events of the run that waited longest, next to how long it waited.
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

    const releases = runs.flatMap((r) =>
      enters(r.history, ['ReleaseLock', 'TargetFailed']).map((t) => ({ t, runId: r.run.runId })),
    );
    const latencies: number[] = [];
    let longest: { run: EndedRun; waitedMs: number } | undefined;
    for (const run of runs) {
      const entered = enters(run.history, 'WaitForLock');
      const resumed = exits(run.history, ['WaitForLock']);
      for (const at of resumed) {
        // The release this resume answered: the latest one by another run at or before it.
        const release = releases.filter((r) => r.runId !== run.run.runId && r.t <= at).sort((a, b) => b.t - a.t)[0];
        if (release) latencies.push(at - release.t);
      }
      const waitedMs = resumed.reduce((sum, at, i) => sum + (at - (entered[i] ?? at)), 0);
      if (!longest || waitedMs > longest.waitedMs) longest = { run, waitedMs };
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
    const deployed = (await bench.store.getCurrent(repo.fullName, NOOP_PROJECT.environment))[0]?.sha;
    console.log(`runs recorded: ${runs.length} of ${PUSHES}; deployed now is the last push: ${deployed === lastSha}`);
    console.log(
      `${PUSHES} pushes to ${NOOP_PROJECT.name}/${NOOP_PROJECT.environment}: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}`,
    );
    printTable(
      ['lock handoff (release → waiter resumed)', 'handoffs', 'p50 ms', 'p99 ms', 'max ms'],
      [['', String(latencies.length), pct(50).toFixed(0), pct(99).toFixed(0), (latencies.at(-1) ?? NaN).toFixed(0)]],
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

function enters(history: HistoryEvent[], state: string | string[]): number[] {
  const states = typeof state === 'string' ? [state] : state;
  return history
    .filter((e) => states.includes(e.stateEnteredEventDetails?.name ?? ''))
    .map((e) => e.timestamp!.getTime());
}

function exits(history: HistoryEvent[], states: string[]): number[] {
  return history
    .filter((e) => states.includes(e.stateExitedEventDetails?.name ?? ''))
    .map((e) => e.timestamp!.getTime());
}
