import picomatch from 'picomatch';
import type { PushgateConfig, ProjectConfig } from '../config/config-schema.ts';
import { buildspecFor } from '../engines/buildspec-for.ts';
import {
  applyBeforeMergeAllowed,
  engineAllowed,
  grantEnvironment,
  type EnvironmentGrant,
} from '../policy/grant-environment.ts';
import { DEFAULT_MAX_PARALLEL_BUILDS } from '../policy/platform-policy.ts';
import { PolicyError } from '../policy/policy-error.ts';
import type { LoadedPolicy } from '../policy/read-policy.ts';
import { runParallelism } from '../policy/run-parallelism.ts';
import type { RunRequest, RunSettings, TargetSpec, ValidatedRun } from '../workflow/contract.ts';
import { watchesAny } from './changed-file-index.ts';
import { runMode } from './run-mode.ts';
import { targetCompute } from './target-compute.ts';
import { targetDefinition } from './target-definition.ts';

/** Longer than a plan and an apply at their 60-minute CodeBuild timeouts, with room to spare; PrepareApply renews it before every Apply. */
export const DEFAULT_LEASE_SECONDS = 4 * 3600;

export interface DecideTargetsInput {
  run: RunRequest;
  /**
   * The trusted pushgate.yml: the default branch's for a push (a branch's own file can only plan),
   * the base branch's for `/pushgate apply`, the run's own for a pull request's plan.
   */
  config: PushgateConfig;
  /** How messages name `config`: `main's pushgate.yml`, `pushgate.yml at 1a2b3c4`. */
  configName?: string;
  /** The operator's platform policy: which environments, from which branches, with which roles. */
  policy: LoadedPolicy;
  /** The repository's default branch (what the policy's `branches` default to). */
  defaultBranch: string;
  /** Paths changed by the run; undefined when unknown (first push, force push): every project counts. */
  changedFiles: string[] | undefined;
  /**
   * For a deploying run: the targets that differ from what their environment runs, by
   * `project/environment` (computed by Validate from the deployed records). When given, it decides
   * instead of `changedFiles`.
   */
  deployed?: ReadonlyMap<string, TargetChange>;
  /** Where CodeBuild clones from (GitHost.cloneUrl). */
  sourceLocation: string;
  leaseSeconds?: number;
  /**
   * `applyBeforeMerge` of the pull request's BASE branch pushgate.yml: a `/pushgate apply` comment
   * deploys unmerged code only where the base branch allows it, never because the PR's own config says so.
   */
  baseAllowsApplyBeforeMerge?: boolean;
  /**
   * Restricts the run to one environment and some of its projects (a rollback or a drift run): the others are
   * neither deployed nor waited for (`after:` looks only at what is in the run).
   */
  only?: { environment: string; projects: readonly string[] };
}

/** Why a target is in a deploying run. */
export interface TargetChange {
  /** Set when the run's commit is older than the one the environment runs (a rollback by git). */
  rollbackOf?: string;
}

/** A project × environment the trusted config and the policy allow for this run, changed or not. */
export interface Candidate {
  project: ProjectConfig;
  environment: string;
  grant: EnvironmentGrant;
  /** sha256 of what defines the deployment (targetDefinition). */
  definition: string;
}

/** A target the trusted config maps to the run but the platform policy refuses: recorded as skipped, with why. */
export interface RefusedTarget {
  project: string;
  environment: string;
  reason: string;
}

export const targetName = (project: string, environment: string): string => `${project}/${environment}`;

/** A run that ends at Validate with a reason: nothing to plan, nobody allowed to ask, … */
export function skippedRun(
  run: RunRequest,
  reason: string,
  options: { sourceLocation: string; leaseSeconds?: number; parallelism?: number },
): ValidatedRun {
  return {
    run,
    settings: {
      planOnly: true,
      concurrency: 'queue',
      leaseSeconds: options.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
      sourceLocation: options.sourceLocation,
      queuePosition: `${run.receivedAt}#${run.runId}`,
      // Nothing runs; the field is still part of every run's settings.
      parallelism: options.parallelism ?? DEFAULT_MAX_PARALLEL_BUILDS,
    },
    waves: [],
    targetCount: 0,
    skipped: reason,
  };
}

/**
 * The target matrix of a run, without I/O: environments from the branch in the trusted config, each
 * granted (or refused) by the platform policy; projects from what changed; targets = project × (its
 * environments ∩ the run's), in waves that keep `after:` order. A policy that cannot work as written
 * (an environment without an apply role) throws PolicyError: the run fails naming the setting.
 */
export function decideTargets(input: DecideTargetsInput): ValidatedRun {
  const found = candidateTargets(input);
  if ('skipped' in found)
    return { run: input.run, settings: found.settings, waves: [], targetCount: 0, skipped: found.skipped };
  const { run, config, changedFiles, deployed } = input;
  const { settings, candidates, refused } = found;
  const skip = (reason: string): ValidatedRun => ({
    run,
    settings,
    waves: [],
    targetCount: 0,
    skipped: [reason, ...refused].join('; '),
  });

  const changes = candidates.flatMap((candidate): { candidate: Candidate; change: TargetChange }[] => {
    if (deployed !== undefined) {
      const change = deployed.get(targetName(candidate.project.name, candidate.environment));
      return change === undefined ? [] : [{ candidate, change }];
    }
    if (changedFiles === undefined) return [{ candidate, change: {} }];
    return watchesAny(candidate.project.watch, changedFiles) ? [{ candidate, change: {} }] : [];
  });
  if (changes.length === 0) {
    if (deployed !== undefined) {
      const count = candidates.length;
      return skip(
        `no project changed: ${count === 1 ? 'its target runs' : `all ${count} targets run`} what this commit defines`,
      );
    }
    const files = changedFiles?.length ?? 0;
    return skip(
      files === 0
        ? 'no project changed: no files changed'
        : `no project changed: ${files} ${files === 1 ? 'file' : 'files'} changed, none watched`,
    );
  }

  const runEnvironments = [...new Set(candidates.map((candidate) => candidate.environment))];
  const targetEnvironments = new Set(changes.map(({ candidate }) => candidate.environment));
  const wave = waveOf(config, targetEnvironments);
  const waves: TargetSpec[][] = [];
  for (const { candidate, change } of changes) {
    const { project, environment, grant, definition } = candidate;
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
      approval: grant.approval,
      artifactPrefix: `runs/${run.runId}/${project.name}/${environment}`,
      definition,
      roles: { plan: grant.roles.plan ?? '', apply: grant.roles.apply ?? '' },
      compute: targetCompute(project, environmentConfig),
      ...(change.rollbackOf === undefined ? {} : { rollbackOf: change.rollbackOf }),
    };
    const buildspec = buildspecFor(base, { project, environment: environmentConfig }, run, settings.planOnly);
    (waves[wave(environment)] ??= []).push({ ...base, buildspec });
  }
  return { run, settings, waves: waves.filter(Boolean), targetCount: changes.length };
}

/**
 * The targets the trusted config maps to this run and the policy allows, before asking what
 * changed; or why there are none. Refusals are kept to be recorded with the run.
 */
export function candidateTargets(
  input: DecideTargetsInput,
):
  | { settings: RunSettings; candidates: Candidate[]; refused: string[]; refusedTargets: RefusedTarget[] }
  | { settings: RunSettings; skipped: string } {
  const { run, config, policy } = input;
  const { only } = input;
  const mode = runMode(run, {
    applyBeforeMerge: (input.baseAllowsApplyBeforeMerge ?? false) && applyBeforeMergeAllowed(policy.policy, run.repo),
    driftRemediate: only !== undefined && config.environments[only.environment]?.drift.remediate === true,
  });
  const settings: RunSettings = {
    planOnly: 'skipped' in mode ? true : mode.planOnly,
    concurrency: config.concurrency,
    leaseSeconds: input.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
    ...(config.lockWaitMinutes === undefined ? {} : { lockWaitMinutes: config.lockWaitMinutes }),
    sourceLocation: input.sourceLocation,
    queuePosition: `${run.receivedAt}#${run.runId}`,
    parallelism: runParallelism(config.parallelism, policy.policy),
  };
  if ('skipped' in mode) return { settings, skipped: mode.skipped };

  const configName = input.configName ?? 'pushgate.yml';
  // A drift check plans what an environment runs, whichever branch deployed it: no branch mapping.
  const onBranch = Object.keys(config.environments).filter(
    (name) => run.kind === 'drift' || picomatch(config.environments[name]?.branch ?? [], { dot: true })(mode.branch),
  );
  const mapped = only === undefined ? onBranch : onBranch.filter((name) => name === only.environment);
  if (only !== undefined && mapped.length === 0) {
    return {
      settings,
      skipped: config.environments[only.environment]
        ? `${only.environment} is not mapped to branch ${mode.branch} in ${configName}`
        : `${configName} has no environment ${only.environment}`,
    };
  }
  if (mapped.length === 0) {
    const ownFileNote =
      run.kind === 'push' && mode.branch !== input.defaultBranch
        ? ` (a branch's own pushgate.yml can only plan: merge it to ${input.defaultBranch} to change what deploys)`
        : '';
    return { settings, skipped: `no environment is mapped to branch ${mode.branch} in ${configName}${ownFileNote}` };
  }

  const refused: string[] = [];
  const refusals = new Map<string, string>();
  const grants = new Map<string, EnvironmentGrant>();
  for (const environment of mapped) {
    const request = {
      repo: run.repo,
      environment,
      branch: mode.branch,
      defaultBranch: input.defaultBranch,
      deploying: !settings.planOnly,
      approval: config.environments[environment]?.approval,
      source: policy.source,
    };
    let result = grantEnvironment(policy.policy, request);
    // A drift check whose remediation the policy refuses (the environment deploys only from another
    // branch) still checks: plan-only. A drift run has one environment, so the run's setting is its.
    if (run.kind === 'drift' && !settings.planOnly && 'refused' in result) {
      const planning = grantEnvironment(policy.policy, { ...request, deploying: false });
      if ('granted' in planning) {
        settings.planOnly = true;
        result = planning;
      }
    }
    if ('failed' in result) throw new PolicyError(result.failed);
    if ('refused' in result) {
      refused.push(`${environment} refused: ${result.refused}`);
      refusals.set(environment, result.refused);
    } else grants.set(environment, result.granted);
  }

  const candidates: Candidate[] = [];
  const refusedTargets: RefusedTarget[] = [];
  const projects =
    only === undefined ? config.projects : config.projects.filter((project) => only.projects.includes(project.name));
  if (only !== undefined) {
    const unknown = only.projects.filter((name) => !config.projects.some((project) => project.name === name));
    if (unknown.length > 0) return { settings, skipped: `${configName} has no project ${unknown.join(', ')}` };
  }
  for (const project of projects) {
    const mappedHere = project.environments.filter((environment) => mapped.includes(environment));
    if (!engineAllowed(policy.policy, run.repo, project.engine)) {
      const reason = `the platform policy does not let ${run.repo} use the ${project.engine} engine`;
      refused.push(`${project.name} refused: ${reason}`);
      for (const environment of mappedHere) refusedTargets.push({ project: project.name, environment, reason });
      continue;
    }
    for (const environment of mappedHere) {
      const grant = grants.get(environment);
      if (grant === undefined) {
        refusedTargets.push({ project: project.name, environment, reason: refusals.get(environment) ?? 'refused' });
        continue;
      }
      const environmentConfig = config.environments[environment]!;
      candidates.push({ project, environment, grant, definition: targetDefinition(project, environmentConfig, grant) });
    }
  }
  if (candidates.length === 0) {
    const reason =
      refused.length > 0
        ? `nothing to deploy: ${refused.join('; ')}`
        : `no project deploys to ${mapped.join(', ')} (projects: ${config.projects.map((p) => p.name).join(', ')})`;
    return { settings, skipped: reason };
  }
  return { settings, candidates, refused, refusedTargets };
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
