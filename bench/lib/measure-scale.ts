import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import picomatch from 'picomatch';
import { parseConfig } from '../../functions/lib/config/parse-config.ts';
import { filesBetween } from '../../functions/lib/git/files-between.ts';
import { createGitHubHost } from '../../functions/lib/git/github-host.ts';
import { parsePolicy, type LoadedPolicy } from '../../functions/lib/policy/read-policy.ts';
import { createValidate } from '../../functions/lib/run/validate.ts';
import { indexChangedFiles } from '../../functions/lib/targets/changed-file-index.ts';
import { decideTargets } from '../../functions/lib/targets/decide-targets.ts';
import type { RunRequest } from '../../functions/lib/workflow/contract.ts';
import { createLocalRepository } from '../../local/git/local-repository.ts';
import { startGitHub } from '../../local/github/start-github.ts';
import { LOCAL_POLICY } from '../../local/local-policy.ts';
import { startBenchStack, type BenchStack } from './bench-stack.ts';
import { BenchError } from './bench-error.ts';
import { executionFigures, stateDuration, type ExecutionFigures } from './execution-figures.ts';
import { handoffLatencies, percentile } from './handoff-latencies.ts';
import { NOOP_PROJECT, noopRepository } from './noop-config.ts';
import { executionsSince, type RecordedExecution } from './run-executions.ts';
import { SCALE_ENVIRONMENTS, scaleConfig, scaleProject, scaleRepository } from './scale-config.ts';
import { summarizeTimes, type TimeSummary } from './summarize-times.ts';

/** The sizes, from the environment (`SCALE_PROJECTS=200 npm run bench -- scale`). */
export interface ScaleOptions {
  /** (a) projects of the first push (× 2 environments); default 1,000. */
  projects: number;
  /** (a) a size between the baseline and `projects` that runs to the end today, for a per-target cost. */
  midProjects: number;
  /** (b) pushes in quick succession; default 30. */
  pushes: number;
  /** (c) projects of the repository Validate reads; default 1,000 (10 files each, and 10,000 pages). */
  validateProjects: number;
  /** (c) files of the large change; default 10,000. */
  changedFiles: number;
  /** How long (a)'s large run may take before it is stopped and measured as it stands, in ms; default 120 s. */
  budgetMs: number;
  /** How long any other run may take, in ms. */
  timeoutMs: number;
}

export function scaleOptions(env: NodeJS.ProcessEnv = process.env): ScaleOptions {
  const int = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1)
      throw new BenchError(`${name} must be a positive integer, got ${env[name]}`);
    return value;
  };
  return {
    projects: int('SCALE_PROJECTS', 1000),
    midProjects: int('SCALE_MID_PROJECTS', 5),
    pushes: int('SCALE_PUSHES', 30),
    validateProjects: int('SCALE_VALIDATE_PROJECTS', 1000),
    changedFiles: int('SCALE_CHANGED_FILES', 10_000),
    budgetMs: int('SCALE_BUDGET_SECONDS', 120) * 1000,
    timeoutMs: int('SCALE_TIMEOUT_SECONDS', 600) * 1000,
  };
}

/** One kind of execution (its state machine) of a run. */
export interface KindFigures {
  kind: string;
  count: number;
  statuses: Record<string, number>;
  maxEvents: number;
  transitions: number;
  largestPayloadBytes: number;
  largestPayloadAt: string;
}

export interface FirstPushFigures {
  label: string;
  projects: number;
  /** Targets recorded for the run (0 when it failed before recording them). */
  targets: number;
  targetsSucceeded: number;
  /** The run outlasted the budget (SCALE_BUDGET_SECONDS) and was stopped: its figures are those so far. */
  stopped: boolean;
  runStatus: string;
  reason?: string;
  validateMs?: number;
  /** git push → the run's main execution ended. */
  wallMs: number;
  mainEvents: number;
  kinds: KindFigures[];
  largestPayloadBytes: number;
  largestPayloadAt: string;
  /** Transitions (and billed retries) of every execution of the run, per recorded target. */
  transitionsPerTarget?: number;
  /** Executions that failed, with AWS's error and cause: which quota, and where. */
  failures: Array<{ kind: string; error: string; cause: string }>;
}

export interface QueueFigures {
  label: string;
  pushes: number;
  recorded: number;
  byStatus: Record<string, number>;
  deployedIsLast: boolean;
  /** Deployments in push order (none out of order), or what was out of order. */
  serialised: string;
  handoffs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The execution (a run's, or a child's) that waited longest. */
  longest?: { runId: string; waitedMs: number; events: number };
  /** First push → last run's execution ended. */
  wallMs: number;
  maxEvents: number;
}

export interface ValidateFigures {
  label: string;
  files: number;
  targets: number;
  validate: TimeSummary;
  /** Which projects the files touch, every glob against every file (Validate before changed-file-index.ts). */
  matchPlain: TimeSummary;
  /** The same answer through changed-file-index.ts. */
  matchIndexed: TimeSummary;
}

export interface ScaleFigures {
  options: ScaleOptions;
  firstPush: FirstPushFigures[];
  queue: QueueFigures[];
  validate: ValidateFigures[];
  /** A scenario that could not be measured, and why: the others still are. */
  errors: string[];
}

const localPolicy: LoadedPolicy = { policy: parsePolicy(LOCAL_POLICY, 'LOCAL_POLICY'), source: 'LOCAL_POLICY' };

export async function measureScale(options: ScaleOptions): Promise<ScaleFigures> {
  const figures: ScaleFigures = { options, firstPush: [], queue: [], validate: [], errors: [] };
  const attempt = async (what: string, measure: () => Promise<void>) => {
    try {
      await measure();
    } catch (error) {
      figures.errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const bench = await startBenchStack();
  try {
    // A warm-up run (handlers loaded, caches filled), then the baseline, then the sizes: each ratio
    // is against a run of the same process.
    await attempt('(a) warm-up', async () => {
      await firstPush(bench, 'warm-up', 1, options.timeoutMs);
    });
    const sizes = [...new Set([1, options.midProjects, options.projects])];
    for (const projects of sizes) {
      const label = projects === 1 ? 'baseline' : projects === options.projects ? 'scale' : 'mid';
      const timeout = label === 'scale' ? options.budgetMs : options.timeoutMs;
      await attempt(`(a) ${projects} × 2`, async () => {
        figures.firstPush.push(await firstPush(bench, label, projects, timeout));
      });
    }
    for (const pushes of [1, options.pushes]) {
      await attempt(`(b) ${pushes} pushes`, async () => {
        figures.queue.push(await pushesInSuccession(bench, pushes === 1 ? 'baseline' : 'scale', pushes, options));
      });
    }
    await attempt('(c) Validate', async () => {
      figures.validate.push(...(await validateChanges(bench, options)));
    });
  } finally {
    await bench.stop();
  }
  return figures;
}

async function firstPush(bench: BenchStack, label: string, projects: number, timeoutMs: number) {
  const repo = await bench.repository(`scale-${label}-${projects}`, scaleRepository(projects));
  const since = new Date();
  const push = await repo.push({}, `${projects} projects × ${SCALE_ENVIRONMENTS.length} environments`);
  const pushedAt = Date.now() - (performance.now() - push.startedAt);
  if (push.runIds.length !== 1) throw new BenchError(`expected one run of the push; git said:\n${push.output}`);
  const runId = push.runIds[0]!;
  const { executions, stopped } = await executionsSince(bench.stack.stepfunctions, since, timeoutMs);
  const run = await bench.store.getRun(runId);
  const main = executions.find((execution) => execution.executionArn === run?.executionArn);
  if (!run || !main) throw new BenchError(`run ${runId} has no execution among the ${executions.length} listed`);
  const recorded = await bench.store.listTargets(runId);
  const targets = recorded.length;
  const targetsSucceeded = recorded.filter((target) => target.status === 'succeeded').length;
  const each = executions.map((execution) => ({ execution, figures: executionFigures(execution.history) }));
  const largest = each.reduce((a, b) => (b.figures.largestPayloadBytes > a.figures.largestPayloadBytes ? b : a));
  const transitions = each.reduce((sum, { figures }) => sum + figures.transitions + figures.retries, 0);
  const validateMs = stateDuration(main.history, 'Validate');
  return {
    label,
    projects,
    targets,
    targetsSucceeded,
    stopped,
    runStatus: run.status,
    ...(run.reason === undefined ? {} : { reason: run.reason }),
    ...(validateMs === undefined ? {} : { validateMs }),
    wallMs: (main.stopDate?.getTime() ?? Date.now()) - pushedAt,
    mainEvents: main.history.length,
    kinds: byKind(each),
    largestPayloadBytes: largest.figures.largestPayloadBytes,
    largestPayloadAt: `${largest.execution.kind}: ${largest.figures.largestPayloadAt}`,
    ...(targets > 0 ? { transitionsPerTarget: transitions / targets } : {}),
    failures: each.flatMap(({ execution, figures }) =>
      figures.failure ? [{ kind: execution.kind, ...figures.failure }] : [],
    ),
  } satisfies FirstPushFigures;
}

function byKind(each: Array<{ execution: RecordedExecution; figures: ExecutionFigures }>): KindFigures[] {
  const kinds = new Map<string, KindFigures>();
  for (const { execution, figures } of each) {
    const kind = kinds.get(execution.kind) ?? {
      kind: execution.kind,
      count: 0,
      statuses: {},
      maxEvents: 0,
      transitions: 0,
      largestPayloadBytes: 0,
      largestPayloadAt: 'none',
    };
    kind.count += 1;
    kind.statuses[execution.status] = (kind.statuses[execution.status] ?? 0) + 1;
    kind.maxEvents = Math.max(kind.maxEvents, figures.events);
    kind.transitions += figures.transitions + figures.retries;
    if (figures.largestPayloadBytes > kind.largestPayloadBytes) {
      kind.largestPayloadBytes = figures.largestPayloadBytes;
      kind.largestPayloadAt = figures.largestPayloadAt;
    }
    kinds.set(execution.kind, kind);
  }
  return [...kinds.values()];
}

async function pushesInSuccession(
  bench: BenchStack,
  label: string,
  pushes: number,
  options: ScaleOptions,
): Promise<QueueFigures> {
  const repo = await bench.repository(`queue-${pushes}`, noopRepository());
  const since = new Date();
  const runIds: string[] = [];
  let lastSha = '';
  let firstAt = 0;
  for (let i = 1; i <= pushes; i++) {
    const push = await repo.push({ [`${NOOP_PROJECT.dir}/version`]: `${i}\n` }, `v${i}`);
    if (i === 1) firstAt = Date.now() - (performance.now() - push.startedAt);
    runIds.push(...push.runIds);
    lastSha = push.sha;
  }
  const { executions, stopped } = await executionsSince(bench.stack.stepfunctions, since, options.timeoutMs);
  if (stopped) throw new BenchError(`the ${pushes} runs outlasted the budget of ${options.timeoutMs / 1000} s`);
  const byArn = new Map(executions.map((execution) => [execution.executionArn, execution]));
  const runs = await Promise.all(
    runIds.map(async (runId) => {
      const run = await bench.store.getRun(runId);
      const execution = byArn.get(run?.executionArn ?? '');
      if (!run || !execution) throw new BenchError(`run ${runId} has no execution`);
      return { run, execution };
    }),
  );
  const byStatus: Record<string, number> = {};
  for (const { run } of runs) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
  // Every execution, not only the runs' main ones: WaitForLock and ReleaseLock may be in child executions.
  const { latencies, longest } = handoffLatencies(
    executions.map((execution) => ({ runId: execution.executionArn, history: execution.history })),
  );
  // Applied in push order: the deployments, by time, name runs in the order they were pushed.
  const order = new Map(runIds.map((runId, i) => [runId, i]));
  const deployments = (await bench.store.listDeployments(repo.fullName, NOOP_PROJECT.environment, { limit: 1000 }))
    .filter((deployment) => order.has(deployment.runId))
    .sort((a, b) => a.deployedAt.localeCompare(b.deployedAt));
  const outOfOrder = deployments.filter((d, i) => i > 0 && order.get(d.runId)! < order.get(deployments[i - 1]!.runId)!);
  const deployed = (await bench.store.getCurrent(repo.fullName, NOOP_PROJECT.environment))[0]?.sha;
  const lastEnd = Math.max(...executions.map((execution) => execution.stopDate?.getTime() ?? Date.now()));
  return {
    label,
    pushes,
    recorded: runs.length,
    byStatus,
    deployedIsLast: deployed === lastSha,
    serialised:
      outOfOrder.length === 0
        ? `yes (${deployments.length} applies)`
        : `NO: ${outOfOrder.map((d) => `push ${order.get(d.runId)! + 1}`).join(', ')} applied after a later push`,
    handoffs: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
    ...(longest
      ? { longest: { runId: longest.runId, waitedMs: longest.waitedMs, events: longest.history.length } }
      : {}),
    wallMs: lastEnd - firstAt,
    maxEvents: Math.max(...executions.map((execution) => execution.history.length)),
  };
}

const RUNS = 3;
const REPO = 'acme/scale';
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * (c) Validate, the domain function, for a deploy push to a repository of `validateProjects` projects
 * (10 files each, and 10,000 pages) whose every target runs the commit before: a small change (100
 * files of 10 projects, the baseline) and a large one (`changedFiles` files: pages and the files of
 * 50 projects), through the GitHub host on the loopback GitHub (compare, then trees past 300 files)
 * and the bench stack's DynamoDB. Beside it, the matching alone, the plain way and indexed.
 */
async function validateChanges(bench: BenchStack, options: ScaleOptions): Promise<ValidateFigures[]> {
  const projects = options.validateProjects;
  const root = await mkdtemp(join(tmpdir(), 'pushgate-bench-scale-'));
  const repo = await createLocalRepository(root, { name: 'scale' });
  const github = await startGitHub({ repos: { [REPO]: repo.bare }, token: 'ghp_bench' });
  try {
    const config = scaleConfig(projects);
    const tree = scaleRepository(projects, { filesPerProject: 10 });
    for (let d = 0; d < 10_000; d++) tree[`docs/section${d % 100}/page${d}.md`] = `page ${d}\n`;
    const deployedSha = await repo.commit(tree, `${projects} projects`);
    await recordDeployed(bench, config, deployedSha);

    const octokit = new Octokit({ auth: 'ghp_bench', baseUrl: github.url, log: quiet });
    const gitHost = createGitHubHost({ octokit, login: 'pushgate[bot]' });
    const validate = createValidate({ store: bench.store, gitHost, policy: async () => localPolicy });
    const watches = Array.from({ length: projects }, (_, i) => [`${scaleProject(i).dir}/**`]);

    const small: Record<string, string> = {};
    for (let p = 0; p < 10; p++) for (let f = 0; f < 10; f++) small[`${scaleProject(p * 7).dir}/f${f}.txt`] = 'v2\n';
    // The large change puts the small one's files back: it differs from what is deployed by its own files only.
    const large: Record<string, string> = {};
    for (const path of Object.keys(small)) large[path] = tree[path]!;
    const touched = Math.min(50, projects);
    for (let p = 0; p < touched; p++) {
      for (let f = 0; f < 10; f++)
        large[`${scaleProject(Math.floor((p * projects) / touched)).dir}/f${f}.txt`] = 'v3\n';
    }
    const pages = Math.max(0, options.changedFiles - touched * 10);
    for (let d = 0; d < Math.min(pages, 10_000); d++) large[`docs/section${d % 100}/page${d}.md`] = `page ${d} v3\n`;

    const results: ValidateFigures[] = [];
    for (const [label, files] of [
      ['baseline', small],
      ['scale', large],
    ] as const) {
      const sha = await repo.commit(files, label);
      await repo.push('--quiet', 'origin', 'main');
      const { files: changed } = await filesBetween(gitHost, REPO, deployedSha, sha);
      const validateMs: number[] = [];
      const plainMs: number[] = [];
      const indexedMs: number[] = [];
      let targets = 0;
      for (let i = 0; i < RUNS; i++) {
        const request: RunRequest = {
          runId: `01SCALE${label.toUpperCase()}${i}`.padEnd(26, '0'),
          deliveryId: `scale-${label}-${i}`,
          kind: 'push',
          repo: REPO,
          ref: 'refs/heads/main',
          branch: 'main',
          sha,
          before: deployedSha,
          actor: 'bench',
          receivedAt: new Date().toISOString(),
        };
        const started = performance.now();
        const result = await validate(request);
        validateMs.push(performance.now() - started);
        targets = result.targetCount;
        if (changed !== undefined) {
          // Two environments: each project asked twice, as Validate asks per target.
          let at = performance.now();
          const plain = watches.flatMap((watch) => [0, 1].map(() => matchPlain(watch, changed))).filter(Boolean).length;
          plainMs.push(performance.now() - at);
          at = performance.now();
          const index = indexChangedFiles([...changed]);
          const indexed = watches.flatMap((watch) => [0, 1].map(() => index.watchesAny(watch))).filter(Boolean).length;
          indexedMs.push(performance.now() - at);
          if (plain !== indexed) throw new BenchError(`the index found ${indexed} targets touched, picomatch ${plain}`);
        }
        // Matching blocks the event loop: let the HTTP client drop the sockets closed meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
      results.push({
        label,
        files: changed?.length ?? -1,
        targets,
        validate: summarizeTimes(validateMs),
        matchPlain: summarizeTimes(plainMs.length > 0 ? plainMs : [NaN]),
        matchIndexed: summarizeTimes(indexedMs.length > 0 ? indexedMs : [NaN]),
      });
    }
    return results;
  } finally {
    await github.stop();
    await repo.cleanup();
    await rm(root, { recursive: true, force: true });
  }
}

function matchPlain(watch: string[], files: readonly string[]): boolean {
  const watched = picomatch(watch, { dot: true });
  return files.some((file) => watched(file));
}

/** Every target deployed at `sha` with the definition this config gives it, as earlier runs would have recorded. */
async function recordDeployed(bench: BenchStack, config: string, sha: string): Promise<void> {
  const parsed = parseConfig(config);
  if (!parsed.ok) throw new BenchError('the scale config is invalid');
  const everything = decideTargets({
    run: {
      runId: 'earlier',
      deliveryId: 'earlier',
      kind: 'push',
      repo: REPO,
      ref: 'refs/heads/main',
      branch: 'main',
      sha,
      actor: 'bench',
      receivedAt: new Date().toISOString(),
    },
    config: parsed.config,
    changedFiles: undefined,
    sourceLocation: `https://git.example/${REPO}.git`,
    policy: localPolicy,
    defaultBranch: 'main',
  });
  const targets = everything.waves.flat();
  for (let i = 0; i < targets.length; i += 50) {
    await Promise.all(
      targets.slice(i, i + 50).map((target) =>
        bench.store.recordDeployment({
          repo: REPO,
          environment: target.environment,
          project: target.project,
          runId: 'earlier',
          sha,
          status: 'succeeded',
          actor: 'bench',
          deployedAt: new Date().toISOString(),
          definition: target.definition,
        }),
      ),
    );
  }
}
