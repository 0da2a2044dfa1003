import type { FirstPushFigures, QueueFigures, ScaleFigures, ValidateFigures } from './lib/measure-scale.ts';
import { printTable } from './lib/print-table.ts';
import { runInChild } from './lib/run-in-child.ts';

/**
 * Issue 12's benchmark, on the local stack with the `command` engine doing nothing: (a) a first push
 * of N projects × 2 environments, (b) pushes in quick succession to one project and environment, (c)
 * Validate for a large change in a large repository. Each is measured beside a small run of the same
 * process (the baseline) and printed with its ratio to it; figures only, nothing asserted. A run that
 * reaches a Step Functions quota is reported with the quota and where, and the bench goes on.
 * Sizes: SCALE_PROJECTS (1000), SCALE_MID_PROJECTS (5), SCALE_PUSHES (30), SCALE_VALIDATE_PROJECTS
 * (1000), SCALE_CHANGED_FILES (10000), SCALE_BUDGET_SECONDS (120: (a)'s large run is stopped there and
 * reported as it stands), SCALE_TIMEOUT_SECONDS (600, any other run). The stack runs in a
 * process of its own, as workflow.bench.ts's does (one stack per process, handlers loaded once).
 */
export default async function scaleBench(): Promise<void> {
  const figures = await runInChild<ScaleFigures>(new URL('./lib/scale-child.ts', import.meta.url), {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  printFirstPush(figures.firstPush);
  printQueue(figures.queue);
  printValidate(figures.validate);
  for (const error of figures.errors) console.log(`NOT MEASURED ${error}`);
}

// NaN comes over IPC as null.
const ms = (value: number | undefined | null) =>
  value === undefined || value === null || Number.isNaN(value) ? '-' : value.toFixed(0);
const short = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (value: number | undefined, base: number | undefined) =>
  value === undefined || base === undefined || base === 0 || Number.isNaN(value) || Number.isNaN(base)
    ? '-'
    : `×${(value / base).toFixed(1)}`;

function printFirstPush(rows: FirstPushFigures[]): void {
  if (rows.length === 0) return;
  const base = rows.find((row) => row.label === 'baseline');
  console.log('\n(a) first push of N projects × 2 environments (staging, then prod), every execution of the run');
  printTable(
    [
      'run',
      'targets',
      'ends',
      'Validate ms',
      'ratio',
      'push → end ms',
      'ratio',
      'largest payload',
      'ratio',
      'events (main)',
      'transitions / target',
    ],
    rows.map((row) => [
      `${row.label}: ${row.projects} × 2`,
      String(row.targets),
      row.stopped ? `stopped (${row.targetsSucceeded} done)` : row.runStatus,
      ms(row.validateMs),
      ratio(row.validateMs, base?.validateMs),
      ms(row.wallMs),
      ratio(row.wallMs, base?.wallMs),
      kib(row.largestPayloadBytes),
      ratio(row.largestPayloadBytes, base?.largestPayloadBytes),
      String(row.mainEvents),
      row.transitionsPerTarget === undefined ? '-' : row.transitionsPerTarget.toFixed(1),
    ]),
  );
  for (const row of rows) {
    console.log(`  ${row.label}: largest payload at ${row.largestPayloadAt}`);
    for (const kind of row.kinds) {
      const statuses = Object.entries(kind.statuses)
        .map(([status, count]) => `${count} ${status}`)
        .join(', ');
      console.log(
        `    ${kind.kind}: ${kind.count} execution(s) (${statuses}), max ${kind.maxEvents} events, ${kind.transitions} transitions, largest ${kib(kind.largestPayloadBytes)} (${kind.largestPayloadAt})`,
      );
    }
    if (row.stopped) {
      console.log(
        `    STOPPED at the budget (SCALE_BUDGET_SECONDS): ${row.targetsSucceeded} of ${row.targets} targets had succeeded; figures are those so far`,
      );
    }
    for (const failure of row.failures) {
      console.log(`    FAILED in ${failure.kind}: ${failure.error}: ${short(failure.cause)}`);
    }
    if (row.runStatus !== 'succeeded' && row.reason) console.log(`    run ${row.runStatus}: ${short(row.reason)}`);
  }
  const done = rows.filter((row) => row.runStatus === 'succeeded' && row.targets > 0 && row.label !== 'baseline');
  const scale = rows.find((row) => row.label === 'scale');
  const per = done.at(-1);
  if (scale && scale.runStatus !== 'succeeded' && per) {
    // The time per target of the largest run that ended: what the large one would cost to the end.
    const msPerTarget = per.wallMs / per.targets;
    console.log(
      `  at ${per.projects} × 2's rate (${msPerTarget.toFixed(0)} ms per target on this machine), ${scale.projects} × 2 would take about ${((msPerTarget * scale.projects * 2) / 1000).toFixed(0)} s to run to the end`,
    );
  }
}

function printQueue(rows: QueueFigures[]): void {
  if (rows.length === 0) return;
  const base = rows.find((row) => row.label === 'baseline');
  console.log('\n(b) pushes in quick succession to one project and environment (concurrency: queue)');
  printTable(
    [
      'pushes',
      'recorded',
      'ends',
      'in push order',
      'deployed = last',
      'push → all ended ms',
      'ratio',
      'max events',
      'ratio',
    ],
    rows.map((row) => [
      String(row.pushes),
      String(row.recorded),
      Object.entries(row.byStatus)
        .map(([status, count]) => `${count} ${status}`)
        .join(', '),
      row.serialised,
      String(row.deployedIsLast),
      ms(row.wallMs),
      ratio(row.wallMs, base?.wallMs),
      String(row.maxEvents),
      ratio(row.maxEvents, base?.maxEvents),
    ]),
  );
  printTable(
    [
      'lock handoff (release → waiter resumed)',
      'handoffs',
      'p50 ms',
      'p99 ms',
      'max ms',
      'longest wait s',
      'its events',
    ],
    rows.map((row) => [
      `${row.pushes} pushes`,
      String(row.handoffs),
      ms(row.p50Ms),
      ms(row.p99Ms),
      ms(row.maxMs),
      row.longest ? (row.longest.waitedMs / 1000).toFixed(1) : '-',
      row.longest ? String(row.longest.events) : '-',
    ]),
  );
}

function printValidate(rows: ValidateFigures[]): void {
  if (rows.length === 0) return;
  const base = rows.find((row) => row.label === 'baseline');
  console.log(
    `\n(c) Validate (the domain function, loopback GitHub, local DynamoDB) for a deploy push, every target deployed at the commit before; median of ${rows[0]!.validate.count}`,
  );
  printTable(
    [
      'change',
      'files',
      'targets planned',
      'Validate ms',
      'ratio',
      'match, every glob × file',
      'match, indexed',
      'speed-up',
    ],
    rows.map((row) => [
      row.label,
      String(row.files),
      String(row.targets),
      ms(row.validate.median),
      ratio(row.validate.median, base?.validate.median),
      `${ms(row.matchPlain.median)} ms`,
      `${ms(row.matchIndexed.median)} ms`,
      ratio(row.matchPlain.median, row.matchIndexed.median),
    ]),
  );
}
