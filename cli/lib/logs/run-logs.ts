import { FINAL_STATUSES } from '../../../functions/lib/status.ts';
import type { RunRecord, Store } from '../../../functions/lib/store/types.ts';
import { CliUsageError } from '../cli-usage-error.ts';
import { terminalSafe } from '../terminal-safe.ts';
import type { LogLine, LogSources } from './log-sources.ts';
import { buildFooter, buildHeader, buildIdsOf, describeRunBuild, type RunBuild } from './run-builds.ts';

/** What `pushgate logs --json` prints. */
export interface RunLogsReport {
  runId: string;
  builds: Array<{
    project: string;
    environment: string;
    phase: 'plan' | 'apply';
    buildId: string;
    status: string;
    logGroup: string;
    logStream: string;
    lines: LogLine[];
  }>;
}

export interface RunLogsOptions {
  /** `<project>/<environment>`: only that target's builds. */
  target?: { project: string; environment: string };
  follow?: boolean;
  /** Between two reads while following; CloudWatch Logs and CodeBuild are asked once per build each time. */
  pollMs?: number;
  /** Log lines as they are read (not with --json). */
  write?: (text: string) => void;
  /** Progress while following (what is awaited). */
  progress?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface RunLogsResult {
  report: RunLogsReport;
  /** Every build shown succeeded (or is still running, without --follow). */
  ok: boolean;
}

const SUCCEEDED = 'SUCCEEDED';

/** `app/prod` → its parts (a project name has no `/`; an environment name has none either). */
export function parseTarget(value: string): { project: string; environment: string } | undefined {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  return match ? { project: match[1]!, environment: match[2]! } : undefined;
}

interface Followed {
  build: RunBuild;
  lines: LogLine[];
  token?: string;
  /** The log was read to its end after the build was complete. */
  drained: boolean;
  announced: boolean;
}

/**
 * The plan and apply build logs of a run: its builds from the execution history and the target
 * records, each build's status and log from CodeBuild, its lines from CloudWatch Logs. With
 * `follow`, reads every `pollMs` until no build is running, every log is drained, and the run starts
 * no more builds (its execution ended, or every target is final or waits for an approval).
 * An unknown run id, or a target the run does not have, is a CliUsageError.
 */
export async function readRunLogs(
  deps: { store: Pick<Store, 'getRun' | 'listTargets'>; sources: LogSources },
  runId: string,
  options: RunLogsOptions = {},
): Promise<RunLogsResult> {
  const { store, sources } = deps;
  const pollMs = options.pollMs ?? 1000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const write = options.write ?? (() => undefined);
  const progress = options.progress ?? (() => undefined);
  const wanted = options.target;
  const matches = (each: { project: string; environment: string }) =>
    !wanted || (each.project === wanted.project && each.environment === wanted.environment);

  // Key parts must not contain '#' (the store refuses them): no run can have such an id.
  let run: RunRecord | undefined = runId.includes('#') || runId === '' ? undefined : await store.getRun(runId);
  if (!run) throw new CliUsageError(`no run ${JSON.stringify(runId)}`);

  const followed = new Map<string, Followed>();
  let lastProgress = '';
  let wroteHeader = false;
  for (;;) {
    const targets = await store.listTargets(runId);
    if (wanted && targets.length > 0 && !targets.some(matches)) {
      const names = targets.map((target) => `${target.project}/${target.environment}`).join(', ');
      throw new CliUsageError(`run ${runId} has no target ${wanted.project}/${wanted.environment} (it has ${names})`);
    }
    const history = run.executionArn ? await sources.history(run.executionArn) : { events: [], running: false };
    const ids = buildIdsOf(history.events, targets);
    const builds = await sources.builds(ids);
    for (const id of ids) {
      const build = describeRunBuild(id, builds.get(id), targets);
      if (!matches(build)) continue;
      const known = followed.get(id);
      if (known) known.build = build;
      else followed.set(id, { build, lines: [], drained: false, announced: false });
    }
    const ordered = [...followed.values()].sort(
      (a, b) => (a.build.startTime?.getTime() ?? 0) - (b.build.startTime?.getTime() ?? 0),
    );
    for (const each of ordered) {
      if (each.drained) continue;
      const complete = each.build.complete;
      const read = await sources.read(each.build.logGroup, each.build.logStream, each.token);
      if (read.token) each.token = read.token;
      if (!each.announced) {
        write(`${wroteHeader ? '\n' : ''}${buildHeader(each.build)}\n`);
        each.announced = wroteHeader = true;
      }
      // A build's output is not ours: nothing in it may drive the terminal (terminalSafe).
      for (const line of read.lines) write(`${terminalSafe(line.message)}\n`);
      each.lines.push(...read.lines);
      // Once read: complete before the read. Following: complete before a read that found nothing more
      // (CloudWatch Logs can receive the last lines a moment after the build ended).
      if (complete && (!options.follow || read.lines.length === 0)) {
        each.drained = true;
        if (options.follow) write(`${buildFooter(each.build)}\n`);
      }
    }
    if (!options.follow) break;

    run = (await store.getRun(runId)) ?? run;
    const allDrained = ordered.every((each) => each.drained);
    const relevant = targets.filter(matches);
    const waiting = relevant.filter((target) => target.status === 'awaiting_approval');
    const settled =
      !history.running ||
      FINAL_STATUSES.has(run.status) ||
      (relevant.length > 0 &&
        relevant.every((target) => FINAL_STATUSES.has(target.status) || target.status === 'awaiting_approval'));
    if (allDrained && settled && (ordered.length > 0 || !history.running || FINAL_STATUSES.has(run.status))) {
      for (const target of waiting) {
        progress(`${target.project}/${target.environment} waits for an approval: pushgate approve ${runId}`);
      }
      break;
    }
    const running = ordered
      .filter((each) => !each.drained)
      .map((each) => `${each.build.project}/${each.build.environment} ${each.build.phase}`);
    const now =
      running.length > 0
        ? `following ${running.join(', ')}`
        : `waiting for the next build of run ${runId} (${run.status})`;
    if (now !== lastProgress) progress(now);
    lastProgress = now;
    await sleep(pollMs);
  }

  const shown = [...followed.values()].sort(
    (a, b) => (a.build.startTime?.getTime() ?? 0) - (b.build.startTime?.getTime() ?? 0),
  );
  if (shown.length === 0) {
    const of = wanted ? ` of ${wanted.project}/${wanted.environment}` : '';
    write(`run ${runId} has no builds${of} yet (${run.status})\n`);
  }
  const report: RunLogsReport = {
    runId,
    builds: shown.map(({ build, lines }) => ({
      project: build.project,
      environment: build.environment,
      phase: build.phase,
      buildId: build.buildId,
      status: build.status,
      logGroup: build.logGroup,
      logStream: build.logStream,
      lines,
    })),
  };
  const ok = shown.every((each) => each.build.status === SUCCEEDED || !each.build.complete);
  return { report, ok };
}
