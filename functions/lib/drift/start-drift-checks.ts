import type { PushgateConfig } from '../config/config-schema.ts';
import { driftIntervalMinutes, MIN_DRIFT_MINUTES } from '../config/drift-schedule.ts';
import { parseConfig } from '../config/parse-config.ts';
import type { GitHost } from '../git/git-host.ts';
import { runRecordInput } from '../run/run-record-input.ts';
import type { DeployedEnvironment, DeploymentRecord, DeploymentStore, RunStore } from '../store/types.ts';
import { CONFIG_FILE } from '../targets/config-file.ts';
import { executionName } from '../webhook/execution-name.ts';
import { newRunId } from '../webhook/new-run-id.ts';
import type { RunRequest } from '../workflow/contract.ts';
import type { Workflow } from '../workflow/workflow.ts';
import { inSyncSince, isDriftDue, nextDriftCheckAt } from './drift-due.ts';
import { InvalidDriftRequestError } from './drift-errors.ts';
import {
  DriftInvocation,
  type DriftCheckResult,
  type SkippedDriftCheck,
  type StartedDriftCheck,
} from './drift-invocation.ts';

/** Who a scheduled check's run names as its actor. */
export const SCHEDULE_ACTOR = 'pushgate';
/** Who a CLI check's run names when the CLI could not say who called it. */
export const CLI_ACTOR = 'pushgate drift';

export interface StartDriftChecksDeps {
  store: Pick<RunStore, 'createRun' | 'setRunStatus'> &
    Pick<DeploymentStore, 'listDeployedEnvironments' | 'markDriftCheckStarted' | 'getCurrent'>;
  gitHost: Pick<GitHost, 'getDefaultBranch' | 'getFile'>;
  workflow: Workflow;
  now?: () => Date;
  newRunId?: () => string;
  logger?: {
    info(message: string, extra: Record<string, unknown>): void;
    error(message: string, extra: Record<string, unknown>): void;
  };
}

/** A repository's default branch and its pushgate.yml as they are now, or why they cannot be used. */
type TrustedConfig = { defaultBranch: string; config: PushgateConfig } | { unusable: string };

/**
 * The drift function's step: for every repository + environment with a deployment (the registry),
 * narrowed by the CLI's filters, start the drift checks that are wanted now.
 * - What a check plans is what runs there: each project's "deployed now" commit, with the default
 *   branch's pushgate.yml as it is now (environments and projects no longer in it are not checked).
 * - The schedule starts a check only when the environment's `drift.schedule` is due: that long after
 *   its last check started, or after its least recent deployment when that came later (a deployment
 *   leaves what it applied as deployed); `off` is never due. The CLI checks now, whatever the schedule.
 * - One run per commit: projects of an environment deployed at different commits get one run each.
 *   Each run is recorded first (kind `drift`, queued; Validate accepts only a recorded one), then
 *   its execution is started, as the rollback function does.
 * - Once every run of an environment started, the environment's check is marked started (the
 *   schedule's clock). A run that did not start is marked failed and its environment reported in
 *   `skipped`, unmarked, so the next tick tries again.
 * Throws InvalidDriftRequestError for an invocation of neither shape.
 */
export async function startDriftChecks(event: unknown, deps: StartDriftChecksDeps): Promise<DriftCheckResult> {
  const parsed = DriftInvocation.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidDriftRequestError(
      `invalid drift request at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const request = parsed.data;
  const now = deps.now?.() ?? new Date();
  const filter =
    request.source === 'cli'
      ? {
          ...(request.repo === undefined ? {} : { repo: request.repo }),
          ...(request.environment === undefined ? {} : { environment: request.environment }),
        }
      : {};
  const registered = (await deps.store.listDeployedEnvironments(filter)).sort(
    (a, b) => a.repo.localeCompare(b.repo) || a.environment.localeCompare(b.environment),
  );

  const started: StartedDriftCheck[] = [];
  const skipped: SkippedDriftCheck[] = [];
  const configs = new Map<string, Promise<TrustedConfig>>();
  for (const entry of registered) {
    const skip = (reason: string, failed?: true) =>
      skipped.push({ repo: entry.repo, environment: entry.environment, reason, ...(failed ? { failed } : {}) });
    // No schedule is shorter than MIN_DRIFT_MINUTES: an environment checked more recently than that
    // is not due whatever its pushgate.yml says, and GitHub is not asked.
    if (request.source === 'schedule' && !isDriftDue(entry.lastDriftCheckAt, MIN_DRIFT_MINUTES, now)) {
      skip(`not due: checked at ${entry.lastDriftCheckAt}`);
      continue;
    }
    if (!configs.has(entry.repo)) configs.set(entry.repo, trustedConfig(entry.repo, deps.gitHost));
    const trusted = await configs.get(entry.repo)!;
    if ('unusable' in trusted) {
      skip(trusted.unusable);
      continue;
    }
    const environment = trusted.config.environments[entry.environment];
    if (environment === undefined) {
      skip(`${entry.environment} is no longer an environment of ${CONFIG_FILE} on ${trusted.defaultBranch}`);
      continue;
    }
    let interval: number | undefined;
    if (request.source === 'schedule') {
      interval = driftIntervalMinutes(environment.drift.schedule);
      if (interval === undefined) {
        skip('scheduled drift checks are off (drift.schedule: off); pushgate drift still checks');
        continue;
      }
    }

    const project = request.source === 'cli' ? request.project : undefined;
    const targets = await driftTargets(entry, trusted.config, project, deps.store);
    if ('none' in targets) {
      skip(targets.none);
      continue;
    }
    if (request.source === 'schedule') {
      // A deployment leaves its projects as deployed: the interval counts from the later of the last
      // check and the least recent deployment, so no check follows right after a deploy.
      const since = inSyncSince(entry.lastDriftCheckAt, targets.deployedAt);
      if (!isDriftDue(since, interval, now)) {
        skip(`not due until ${nextDriftCheckAt(since, interval!)?.toISOString()}`);
        continue;
      }
    }
    const actor = request.source === 'cli' ? (request.actor ?? CLI_ACTOR) : SCHEDULE_ACTOR;
    let allStarted = true;
    for (const [sha, projects] of targets.bySha) {
      const run: RunRequest = {
        runId: (deps.newRunId ?? newRunId)(),
        deliveryId: '',
        kind: 'drift',
        repo: entry.repo,
        ref: `refs/heads/${trusted.defaultBranch}`,
        branch: trusted.defaultBranch,
        defaultBranch: trusted.defaultBranch,
        sha,
        actor,
        drift: { environment: entry.environment, projects },
        receivedAt: now.toISOString(),
      };
      run.deliveryId = `drift-${run.runId}`;
      const check = await startOne(run, deps, now);
      if ('failed' in check) {
        allStarted = false;
        skip(`${projects.join(', ')} at ${sha.slice(0, 7)}: ${check.failed}`, true);
        continue;
      }
      started.push(check);
    }
    if (allStarted) await deps.store.markDriftCheckStarted(entry.repo, entry.environment, now);
  }
  return { started, skipped };
}

/** Records the drift run, then starts its execution; a start that fails marks the run failed. */
async function startOne(
  run: RunRequest,
  deps: StartDriftChecksDeps,
  now: Date,
): Promise<StartedDriftCheck | { failed: string }> {
  const name = executionName(run);
  const executionArn = deps.workflow.executionArn(name);
  await deps.store.createRun(runRecordInput(run, { executionArn }), now);
  const scope = { runId: run.runId, repo: run.repo, environment: run.drift!.environment, sha: run.sha };
  try {
    await deps.workflow.start(run, name);
  } catch (error) {
    const reason = `the workflow did not start: ${error instanceof Error ? error.message : String(error)}`;
    await deps.store.setRunStatus(run.runId, 'failed', { reason }).catch(() => undefined);
    deps.logger?.error('drift check did not start', { ...scope, error });
    return { failed: reason };
  }
  deps.logger?.info('drift check started', { ...scope, projects: run.drift!.projects, actor: run.actor });
  return { ...scope, projects: run.drift!.projects, executionArn };
}

/**
 * The projects a check of `entry` plans, grouped by the commit each runs now: those deployed there
 * that the trusted pushgate.yml still deploys to this environment (and `project`, when named).
 */
async function driftTargets(
  entry: DeployedEnvironment,
  config: PushgateConfig,
  project: string | undefined,
  store: Pick<DeploymentStore, 'getCurrent'>,
): Promise<{ bySha: Map<string, string[]>; deployedAt: string[] } | { none: string }> {
  const configured = new Set(
    config.projects.filter((p) => p.environments.includes(entry.environment)).map((p) => p.name),
  );
  const current: DeploymentRecord[] = (await store.getCurrent(entry.repo, entry.environment))
    .filter((deployed) => configured.has(deployed.project))
    .sort((a, b) => a.project.localeCompare(b.project));
  const chosen = project === undefined ? current : current.filter((deployed) => deployed.project === project);
  if (chosen.length === 0) {
    if (project !== undefined) {
      return {
        none: `${project} is not deployed to ${entry.environment}${current.length > 0 ? ` (deployed there: ${current.map((d) => d.project).join(', ')})` : ''}`,
      };
    }
    return { none: `no project of ${CONFIG_FILE} is deployed to ${entry.environment}` };
  }
  const bySha = new Map<string, string[]>();
  for (const deployed of chosen) bySha.set(deployed.sha, [...(bySha.get(deployed.sha) ?? []), deployed.project]);
  return { bySha, deployedAt: chosen.map((deployed) => deployed.deployedAt) };
}

/** The default branch's pushgate.yml as it is now: the reviewed one, as for a rollback. */
async function trustedConfig(repo: string, gitHost: StartDriftChecksDeps['gitHost']): Promise<TrustedConfig> {
  let defaultBranch: string;
  let text: string | undefined;
  try {
    defaultBranch = await gitHost.getDefaultBranch(repo);
    // refs/heads/: a tag named like the branch cannot stand in for it.
    text = await gitHost.getFile(repo, CONFIG_FILE, `refs/heads/${defaultBranch}`);
  } catch (error) {
    // One repository GitHub cannot answer for (gone, no access, an outage) does not stop the others.
    return { unusable: `GitHub did not answer for ${repo}: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (text === undefined) return { unusable: `no ${CONFIG_FILE} on ${defaultBranch}` };
  const parsed = parseConfig(text);
  if (!parsed.ok) {
    const first = parsed.problems[0];
    const where = first?.line === undefined ? '' : ` (line ${first.line})`;
    return {
      unusable: `${CONFIG_FILE} on ${defaultBranch} is invalid: ${first?.path ? `${first.path}: ` : ''}${first?.message ?? 'invalid'}${where}`,
    };
  }
  return { defaultBranch, config: parsed.config };
}
