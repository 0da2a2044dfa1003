import picomatch from 'picomatch';
import type { PushgateConfig } from '../config/config-schema.ts';
import { buildspecFor } from '../engines/buildspec-for.ts';
import type { RunRequest, RunSettings, TargetSpec, ValidatedRun } from '../workflow/contract.ts';
import { runMode } from './run-mode.ts';

/** Longer than a plan and an apply at their 60-minute CodeBuild timeouts, with room to spare; an approval wait renews it (RenewLock). */
export const DEFAULT_LEASE_SECONDS = 4 * 3600;

export interface DecideTargetsInput {
  run: RunRequest;
  /** The run's pushgate.yml: at its commit, or for `/pushgate apply` the base branch's (applyConfig). */
  config: PushgateConfig;
  /** Paths changed by the run; undefined when unknown (first push, force push): every project counts. */
  changedFiles: string[] | undefined;
  /** Where CodeBuild clones from (GitHost.cloneUrl). */
  sourceLocation: string;
  leaseSeconds?: number;
  /**
   * `applyBeforeMerge` of the pull request's BASE branch pushgate.yml: a `/pushgate apply` comment
   * deploys unmerged code only where the base branch allows it, never because the PR's own config says so.
   */
  baseAllowsApplyBeforeMerge?: boolean;
}

/** A run that ends at Validate with a reason: nothing to plan, nobody allowed to ask, … */
export function skippedRun(
  run: RunRequest,
  reason: string,
  options: { sourceLocation: string; leaseSeconds?: number },
): ValidatedRun {
  return {
    run,
    settings: {
      planOnly: true,
      concurrency: 'queue',
      leaseSeconds: options.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
      sourceLocation: options.sourceLocation,
      queuePosition: `${run.receivedAt}#${run.runId}`,
    },
    waves: [],
    targetCount: 0,
    skipped: reason,
  };
}

/**
 * The target matrix of a run, without I/O: environments from the branch, projects from the changed
 * files, targets = project × (its environments ∩ the run's), in waves that keep `after:` order.
 */
export function decideTargets(input: DecideTargetsInput): ValidatedRun {
  const { run, config, changedFiles } = input;
  const mode = runMode(run, { applyBeforeMerge: input.baseAllowsApplyBeforeMerge ?? false });
  const settings: RunSettings = {
    planOnly: 'skipped' in mode ? true : mode.planOnly,
    concurrency: config.concurrency,
    leaseSeconds: input.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
    ...(config.lockWaitMinutes === undefined ? {} : { lockWaitMinutes: config.lockWaitMinutes }),
    sourceLocation: input.sourceLocation,
    queuePosition: `${run.receivedAt}#${run.runId}`,
  };
  const skip = (reason: string): ValidatedRun => ({ run, settings, waves: [], targetCount: 0, skipped: reason });
  if ('skipped' in mode) return skip(mode.skipped);

  const environmentNames = Object.keys(config.environments);
  const runEnvironments = environmentNames.filter((name) =>
    picomatch(config.environments[name]?.branch ?? [], { dot: true })(mode.branch),
  );
  if (runEnvironments.length === 0) return skip(`no environment is mapped to branch ${mode.branch}`);

  const changed =
    changedFiles === undefined
      ? config.projects
      : config.projects.filter((project) => {
          const watched = picomatch(project.watch, { dot: true });
          return changedFiles.some((file) => watched(file));
        });
  if (changed.length === 0) {
    const files = changedFiles?.length ?? 0;
    return skip(
      files === 0
        ? 'no project changed: no files changed'
        : `no project changed: ${files} ${files === 1 ? 'file' : 'files'} changed, none watched`,
    );
  }

  const pairs = changed.flatMap((project) =>
    runEnvironments
      .filter((name) => project.environments.includes(name))
      .map((environment) => ({ project, environment })),
  );
  if (pairs.length === 0) {
    return skip(
      `no changed project deploys to ${runEnvironments.join(', ')} (changed: ${changed.map((p) => p.name).join(', ')})`,
    );
  }

  const targetEnvironments = new Set(pairs.map((pair) => pair.environment));
  const wave = waveOf(config, targetEnvironments);
  const waves: TargetSpec[][] = [];
  for (const { project, environment } of pairs) {
    const environmentConfig = config.environments[environment]!;
    const base = {
      project: project.name,
      environment,
      engine: project.engine,
      dir: project.dir,
      after: nearestAfter(
        config,
        environment,
        (name) => project.environments.includes(name) && runEnvironments.includes(name),
      ),
      approval: environmentConfig.approval ?? { required: false, approvers: [] },
      artifactPrefix: `runs/${run.runId}/${project.name}/${environment}`,
    };
    const buildspec = buildspecFor(base, { project, environment: environmentConfig }, run, settings.planOnly);
    (waves[wave(environment)] ??= []).push({ ...base, buildspec });
  }
  return { run, settings, waves: waves.filter(Boolean), targetCount: pairs.length };
}

/**
 * The first environment up the `after:` chain that `included` accepts. Environments outside the run
 * are walked through, so `prod after staging after dev` keeps prod after dev when staging sits out.
 */
function nearestAfter(config: PushgateConfig, environment: string, included: (name: string) => boolean): string[] {
  const seen = new Set([environment]);
  let next = config.environments[environment]?.after;
  while (next !== undefined && !seen.has(next)) {
    if (included(next)) return [next];
    seen.add(next);
    next = config.environments[next]?.after;
  }
  return [];
}

/** Wave of an environment: one more than the nearest environment of this run it comes after. */
function waveOf(config: PushgateConfig, inRun: ReadonlySet<string>): (environment: string) => number {
  const cache = new Map<string, number>();
  const wave = (environment: string): number => {
    const known = cache.get(environment);
    if (known !== undefined) return known;
    const [previous] = nearestAfter(config, environment, (name) => inRun.has(name));
    const value = previous === undefined ? 0 : wave(previous) + 1;
    cache.set(environment, value);
    return value;
  };
  return wave;
}
