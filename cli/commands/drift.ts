import { Command } from 'commander';
import type { DriftCheckResult, StartedDriftCheck } from '../../functions/lib/drift/drift-invocation.ts';
import type { Status } from '../../functions/lib/status.ts';
import type { RunRecord, Store, TargetRecord } from '../../functions/lib/store/types.ts';
import type { PlanSummary } from '../../functions/lib/workflow/contract.ts';
import { CliUsageError } from '../lib/cli-usage-error.ts';
import { EXIT_FAILED } from '../lib/exit-codes.ts';
import { invokeFunction } from '../lib/invoke-function.ts';
import { repoOption } from '../lib/repo-option.ts';

interface DriftOptions {
  repo?: string;
  all?: boolean;
  env?: string;
  project?: string;
  stage?: string;
  function?: string;
  table?: string;
  follow: boolean;
  json?: boolean;
}

/** How often the runs and their targets are read while following (the store, as `pushgate run` reads it). */
const POLL_MS = 1_000;

/**
 * The drift function's name: `--function`, else `PUSHGATE_DRIFT_FUNCTION`, else
 * `pushgate-<stage>-driftCheck` with the stage from `--stage`, `PUSHGATE_STAGE` or `local`.
 */
export function driftFunctionName(
  options: Pick<DriftOptions, 'function' | 'stage'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (options.function) return options.function;
  if (env.PUSHGATE_DRIFT_FUNCTION) return env.PUSHGATE_DRIFT_FUNCTION;
  return `pushgate-${options.stage ?? env.PUSHGATE_STAGE ?? 'local'}-driftCheck`;
}

/** One target's answer, as `--json` prints it: `summary` is formatDriftSummary's line, or null. */
export interface DriftCheckLine {
  project: string;
  environment: string;
  drifted: boolean | null;
  summary: string | null;
}

/** What a finished check says of one target, with what the text output adds to the JSON line. */
export interface DriftOutcome extends DriftCheckLine {
  repo: string;
  runId: string;
  /** When the drift was first seen. */
  since?: string;
  /** The check could not tell (its run or target failed, or was skipped): why. */
  failed?: string;
  /** remediate: true applied the deployed commit again, and it succeeded. */
  repaired?: boolean;
  sha: string;
}

/** Target statuses of a check that ran to its end: planned (drifted, plan-only), no_changes, succeeded (repaired). */
const CHECKED: ReadonlySet<Status> = new Set<Status>(['planned', 'no_changes', 'succeeded']);

/**
 * What one finished drift run found for each of its projects, from its run and target records
 * (Summarize sets `drifted`, `driftSince` and the plan's summary on each target).
 */
export function driftOutcomes(
  check: StartedDriftCheck,
  run: RunRecord | undefined,
  targets: TargetRecord[],
  formatSummary: (summary: PlanSummary) => string,
): DriftOutcome[] {
  return check.projects.map((project): DriftOutcome => {
    const base = { repo: check.repo, runId: check.runId, sha: check.sha, project, environment: check.environment };
    const target = targets.find((t) => t.project === project && t.environment === check.environment);
    if (target === undefined || !CHECKED.has(target.status)) {
      const why = target?.reason ?? run?.reason ?? `the run ended ${target?.status ?? run?.status ?? 'unknown'}`;
      return { ...base, drifted: null, summary: null, failed: `${target?.status ?? run?.status}: ${why}` };
    }
    const drifted = target.drifted ?? target.summary?.hasChanges ?? false;
    return {
      ...base,
      drifted,
      summary: drifted && target.summary ? formatSummary(target.summary) : null,
      ...(drifted && target.driftSince ? { since: target.driftSince } : {}),
      ...(drifted && target.status === 'succeeded' ? { repaired: true } : {}),
    };
  });
}

/** The text lines of the outcomes, grouped by repository. */
export function describeOutcomes(outcomes: DriftOutcome[]): string[] {
  const lines: string[] = [];
  const width = Math.max(...outcomes.map((o) => o.environment.length));
  const projectWidth = Math.max(...outcomes.map((o) => o.project.length));
  for (const repo of [...new Set(outcomes.map((o) => o.repo))]) {
    lines.push(repo);
    for (const o of outcomes.filter((each) => each.repo === repo)) {
      const where = `  ${o.environment.padEnd(width)}  ${o.project.padEnd(projectWidth)}  `;
      if (o.failed !== undefined) lines.push(`${where}check failed (${o.failed}): pushgate run ${o.runId}`);
      else if (!o.drifted) lines.push(`${where}no drift (runs ${o.sha.slice(0, 7)} as deployed)`);
      else {
        const since = o.since ? ` since ${o.since}` : '';
        const repaired = o.repaired ? `; repaired: ${o.sha.slice(0, 7)} applied again (run ${o.runId})` : '';
        lines.push(`${where}drifted${since}: ${o.summary ?? 'changes'}${repaired}`);
      }
    }
  }
  const open = outcomes.filter((o) => o.drifted && !o.repaired);
  if (open.length > 0) {
    lines.push(
      `the plan of each drift: pushgate run <runId> (${[...new Set(open.map((o) => o.runId))].join(', ')}); deploy again, or set drift: { remediate: true } for the environment in pushgate.yml to have pushgate apply it`,
    );
  }
  return lines;
}

/**
 * `pushgate drift [--repo r | --all] [--env e] [--project p]`: asks the drift function to check now
 * (a plan at the commit each project runs, with the default branch's pushgate.yml), prints which
 * checks started, follows them, and prints per target whether it drifted. Exit 0 when every check ran
 * and nothing drifted; 1 when something drifted (even when remediate: true repaired it) or a check
 * failed; 2 for a usage error.
 */
export function driftCommand(): Command {
  return new Command('drift')
    .description(
      'check now whether what runs matches what was deployed (a plan at the deployed commit), and print per target whether it drifted',
    )
    .addOption(repoOption('the infrastructure repository to check', { required: false }))
    .option('--all', 'check every repository with a deployment, as the schedule does (instead of --repo)')
    .option('--env <name>', 'only this environment (default: every environment with a deployment)')
    .option('--project <name>', 'only this project (default: every project deployed there)')
    .option('--no-follow', 'start the checks and return without waiting for them')
    .option('--stage <stage>', 'the pushgate stage (default: $PUSHGATE_STAGE or local)')
    .option('--function <name>', 'the drift function (default: pushgate-<stage>-driftCheck)')
    .option('--table <name>', 'the pushgate table, read to follow the checks (default: $PUSHGATE_TABLE)')
    .option(
      '--json',
      'print { "checks": [{ "project", "environment", "drifted", "summary" }] } at the end (progress goes to stderr)',
    )
    .addHelpText(
      'after',
      `
Checks run as the schedule's do: a plan-only run at each project's deployed commit (one run per
commit), with pushgate.yml as it is on the default branch. With drift: { remediate: true } there, a
drifted target is applied again through the workflow (approvals as configured).
Without --repo, $PUSHGATE_REPO is checked; --all checks every repository with a deployment instead.
Exit codes: 0 every check ran and nothing drifted (or there was nothing to check), 1 something drifted
(even if remediate repaired it) or a check failed, 2 a usage error.`,
    )
    .action(async (options: DriftOptions, command: Command) => {
      const [{ EnvironmentName, ProjectName }, { storeFromEnv }] = await Promise.all([
        import('../../functions/lib/config/config-schema.ts'),
        import('../lib/store-from-env.ts'),
      ]);
      // --all wins over a repository that only comes from $PUSHGATE_REPO, not over a --repo flag.
      if (options.all && command.getOptionValueSource('repo') === 'cli') {
        throw new CliUsageError('--repo checks one repository, --all every one: give one of them');
      }
      const repo = options.all ? undefined : options.repo;
      if (!options.all && repo === undefined) {
        throw new CliUsageError(
          'which repository? Pass --repo (or set PUSHGATE_REPO), or --all for every repository with a deployment',
        );
      }
      if (options.env !== undefined && !EnvironmentName.safeParse(options.env).success) {
        throw new CliUsageError(`${JSON.stringify(options.env)} is not an environment name`);
      }
      if (options.project !== undefined && !ProjectName.safeParse(options.project).success) {
        throw new CliUsageError(`${JSON.stringify(options.project)} is not a project name`);
      }
      // Checked before anything starts: following needs the table.
      const store = options.follow ? storeFromEnv(options.table).store : undefined;
      const out = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
      const printJson = (checks: DriftCheckLine[]) => process.stdout.write(`${JSON.stringify({ checks }, null, 2)}\n`);

      const result = await invokeDrift(options, repo);
      for (const check of result.started) {
        out(
          `checking ${check.repo} ${check.environment} at ${check.sha.slice(0, 7)}: ${check.projects.join(', ')} (run ${check.runId})`,
        );
      }
      for (const skipped of result.skipped)
        out(`not checked: ${skipped.repo} ${skipped.environment}: ${skipped.reason}`);
      const didNotStart = result.skipped.some((skipped) => skipped.failed);
      if (result.started.length === 0) {
        out(
          didNotStart
            ? 'no check started'
            : `nothing to check: no deployment${repo ? ` of ${repo}` : ''}${options.env ? ` to ${options.env}` : ''}${options.project ? ` of ${options.project}` : ''} to check`,
        );
        if (options.json) printJson([]);
        if (didNotStart) process.exitCode = EXIT_FAILED;
        return;
      }
      if (!store) {
        if (options.json) {
          printJson(
            result.started.flatMap((check) =>
              check.projects.map((project) => ({
                project,
                environment: check.environment,
                drifted: null,
                summary: null,
              })),
            ),
          );
        }
        if (didNotStart) process.exitCode = EXIT_FAILED;
        return;
      }

      const outcomes = await follow(result.started, store, out);
      for (const line of describeOutcomes(outcomes)) out(line);
      if (options.json) {
        printJson(
          outcomes.map(({ project, environment, drifted, summary }) => ({ project, environment, drifted, summary })),
        );
      }
      if (didNotStart || outcomes.some((o) => o.failed !== undefined || o.drifted)) process.exitCode = EXIT_FAILED;
    });
}

async function invokeDrift(options: DriftOptions, repo: string | undefined): Promise<DriftCheckResult> {
  // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
  const { callerArn } = await import('../lib/caller-identity.ts');
  const functionName = driftFunctionName(options);
  // Who asks, as STS says (only shown on the runs); a check does not depend on it.
  const actor = await callerArn().then(
    (arn) => arn.slice(arn.lastIndexOf(':') + 1).slice(0, 200),
    () => undefined,
  );
  const payload = {
    source: 'cli',
    ...(repo ? { repo } : {}),
    ...(options.env ? { environment: options.env } : {}),
    ...(options.project ? { project: options.project } : {}),
    ...(actor ? { actor } : {}),
  };
  const { text, functionError } = await invokeFunction(functionName, payload);
  if (functionError) {
    const failure = safeJson(text) as { errorType?: unknown; errorMessage?: unknown } | undefined;
    if (failure?.errorType === 'InvalidDriftRequestError') throw new CliUsageError(String(failure.errorMessage));
    throw new Error(`the drift function failed: ${text.slice(0, 500)}`);
  }
  const answer = safeJson(text) as DriftCheckResult | undefined;
  if (!answer || !Array.isArray(answer.started) || !Array.isArray(answer.skipped)) {
    throw new Error(`the drift function answered something else than its result: ${text.slice(0, 200)}`);
  }
  return answer;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads every started run and its targets each second until all have ended, printing each change
 * once (as `pushgate rollback` does), then what each found.
 */
async function follow(checks: StartedDriftCheck[], store: Store, out: (line: string) => void): Promise<DriftOutcome[]> {
  const [{ isFinal }, { formatDriftSummary }] = await Promise.all([
    import('../../functions/lib/status.ts'),
    import('../../functions/lib/drift/drift-summary.ts'),
  ]);
  const several = new Set(checks.map((check) => check.repo)).size > 1;
  const seen = new Map<string, string>();
  const finished = new Map<string, { run: RunRecord; targets: TargetRecord[] }>();
  while (finished.size < checks.length) {
    for (const check of checks) {
      if (finished.has(check.runId)) continue;
      const run = await store.getRun(check.runId);
      if (run === undefined) continue;
      const targets = await store.listTargets(check.runId);
      const prefix = several ? `${check.repo} ` : '';
      for (const target of targets) {
        const key = `${check.runId} ${target.project}/${target.environment}`;
        if (seen.get(key) === target.status) continue;
        seen.set(key, target.status);
        out(
          `  ${prefix}${target.project}/${target.environment}  ${target.status}${target.reason ? `: ${target.reason}` : ''}`,
        );
        if (target.status === 'awaiting_approval') out(`  waiting for approval: pushgate approve ${check.runId}`);
      }
      if (seen.get(check.runId) !== run.status) {
        seen.set(check.runId, run.status);
        out(`run ${check.runId} ${run.status}${isFinal(run.status) && run.reason ? `: ${run.reason}` : ''}`);
      }
      if (isFinal(run.status)) finished.set(check.runId, { run, targets });
    }
    if (finished.size < checks.length) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return checks.flatMap((check) => {
    const { run, targets } = finished.get(check.runId)!;
    return driftOutcomes(check, run, targets, formatDriftSummary);
  });
}
