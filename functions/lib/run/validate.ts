import type { PushgateConfig } from '../config/config-schema.ts';
import { InvalidConfigError } from '../config/invalid-config-error.ts';
import { parseConfig } from '../config/parse-config.ts';
import { canWrite, type GitHost, type PullRequestInfo } from '../git/git-host.ts';
import { eachLimited } from '../each-limited.ts';
import { AlreadyExistsError } from '../store/errors.ts';
import type { DeploymentRecord, DeploymentStore, RunStore, TargetStore } from '../store/types.ts';
import { branchMoved } from '../git/branch-moved.ts';
import { filesBetween, type FilesBetween } from '../git/files-between.ts';
import type { LoadedPolicy } from '../policy/read-policy.ts';
import { watchesAny } from '../targets/changed-file-index.ts';
import { applyConfig } from '../targets/apply-config.ts';
import { CONFIG_FILE } from '../targets/config-file.ts';
import {
  candidateTargets,
  decideTargets,
  skippedRun,
  targetName,
  type Candidate,
  type RefusedTarget,
  type TargetChange,
} from '../targets/decide-targets.ts';
import { UnresolvedCommitError } from '../targets/unresolved-commit-error.ts';
import type { RunRequest, ValidatedRun } from '../workflow/contract.ts';
import { runRecordInput } from './run-record-input.ts';
import { neverDeployed, recordedDeployment } from '../rollback/recorded-deployment.ts';

const ZERO_SHA = /^0+$/;
/** Target records written at once. */
const RECORD_CONCURRENCY = 16;

export interface ValidateDeps {
  store: RunStore & TargetStore & DeploymentStore;
  gitHost: GitHost;
  /** The operator's platform policy (SSM on AWS, PUSHGATE_POLICY locally). */
  policy: () => Promise<LoadedPolicy>;
  now?: () => Date;
  leaseSeconds?: number;
  /**
   * Comments on a pull request: tells whoever gave a `/pushgate plan|apply` without write access why
   * nothing runs. Best effort: a failure is logged (`logger`), never fails the run.
   */
  reply?: (repo: string, number: number, body: string) => Promise<unknown>;
  logger?: { warn(message: string, extra: Record<string, unknown>): void };
}

export type Validate = (run: RunRequest) => Promise<ValidatedRun>;

/**
 * The Validate step: the trusted pushgate.yml and the platform policy → the targets of the run,
 * recorded as queued. Safe to repeat (the workflow retries it): records that already exist are left
 * as they are.
 * - Which pushgate.yml is trusted: for a push, the default branch's (at the pushed commit when the
 *   push is to the default branch, else as the default branch is now: a branch's own pushgate.yml can
 *   only plan); for `/pushgate apply` the base branch's (applyConfig); a pull request's plan reads its
 *   own, since a plan deploys nothing.
 * - What a push deploys is decided against what each environment runs (its deployed records), not
 *   against the push's `before`: a rollback by force-push deploys, a failed change is retried, and a
 *   changed definition (variables, engine options, roles) re-plans its targets.
 * - A push whose commit is no longer its branch's head (a replay, or a newer push) deploys nothing.
 * - A rollback (`pushgate rollback`) deploys an older commit, never its branch's head: only to its one
 *   environment and projects, only when each ran that commit successfully before (recorded
 *   deployments), with the default branch's pushgate.yml as it is now.
 * - A drift check plans exactly what its environment runs: the scope the drift function recorded on
 *   the run, each project still at the run's commit ("deployed now"), with the default branch's
 *   pushgate.yml as it is now, which alone says whether it may remediate (apply again).
 * Throws InvalidConfigError for a missing or wrong pushgate.yml, PolicyError for a missing or
 * unworkable policy, GitHostError when GitHub fails.
 */
export function createValidate(deps: ValidateDeps): Validate {
  const now = deps.now ?? (() => new Date());
  const { gitHost, store } = deps;
  const leaseSeconds = deps.leaseSeconds === undefined ? {} : { leaseSeconds: deps.leaseSeconds };

  return async function validate(request) {
    const resolved = await resolveHead(request, gitHost);
    const { pull } = resolved;
    const defaultBranch = resolved.run.defaultBranch ?? (await gitHost.getDefaultBranch(resolved.run.repo));
    const run: RunRequest = { ...resolved.run, defaultBranch };
    const sourceLocation = gitHost.cloneUrl(run.repo);
    const skip = async (reason: string) => {
      const result = skippedRun(run, reason, { sourceLocation, ...leaseSeconds });
      await record(result, store, now());
      return result;
    };

    if (run.kind === 'comment') {
      const denied = await commentDenied(run, gitHost);
      if (denied !== undefined) {
        // Only the attempt that marks the run skipped replies: a retried Validate does not post twice.
        const earlier = (await store.getRun(run.runId))?.status;
        const result = await skip(denied.reason);
        const number = run.pullRequest?.number;
        if (earlier !== 'skipped' && denied.reply !== undefined && number !== undefined && deps.reply) {
          try {
            await deps.reply(run.repo, number, denied.reply);
          } catch (error) {
            deps.logger?.warn('could not reply to a refused comment command', {
              runId: run.runId,
              repo: run.repo,
              pullRequest: number,
              error,
            });
          }
        }
        return result;
      }
    }
    if (run.kind === 'push') {
      const head = await branchMoved(run, gitHost);
      if (head.moved && !head.gone) return skip(head.reason);
    }
    if (run.kind === 'rollback') {
      // Only a commit that ran there before: the rollback function checked it, and so does every run.
      if (!run.rollback) return skip('a rollback run names no environment');
      // Started by the rollback function, which proved the caller and recorded the run first: an
      // execution started by other means (its input says anything) finds no such record.
      const recorded = await store.getRun(run.runId);
      if (
        recorded === undefined ||
        recorded.kind !== 'rollback' ||
        recorded.actor !== run.actor ||
        recorded.sha !== run.sha ||
        recorded.repo !== run.repo
      ) {
        return skip('a rollback runs only as the rollback function recorded it (pushgate rollback)');
      }
      const { environment, projects } = run.rollback;
      for (const project of projects) {
        const target = { repo: run.repo, environment, project, sha: run.sha };
        if ((await recordedDeployment(store, target)) === undefined) return skip(neverDeployed(target));
      }
    }
    if (run.kind === 'drift') {
      const refused = await driftRefused(run, store);
      if (refused !== undefined) return skip(refused);
    }
    const policy = await deps.policy();

    let config: PushgateConfig;
    let configName: string;
    let baseAllowsApplyBeforeMerge = false;
    if (run.kind === 'comment' && run.comment?.command === 'apply') {
      const applying = await applyConfig(run, pull ?? (await pullRequestOf(run, gitHost)), gitHost);
      if ('skipped' in applying) return skip(applying.skipped);
      config = applying.config;
      configName = `${run.pullRequest?.baseRef ?? run.branch}'s ${CONFIG_FILE}`;
      baseAllowsApplyBeforeMerge = config.applyBeforeMerge;
    } else if (
      run.kind === 'rollback' ||
      run.kind === 'drift' ||
      (run.kind === 'push' && run.branch !== defaultBranch)
    ) {
      // A rollback deploys an old commit with what is reviewed now: the default branch's pushgate.yml.
      // So does a drift check, which plans (and may apply again) the commit an environment runs.
      config = await configOnBranch(run, defaultBranch, gitHost);
      configName = `${defaultBranch}'s ${CONFIG_FILE}`;
    } else {
      // A pull request's plan (plan-only, no credentials to deploy) shows what its own pushgate.yml
      // would do: proposing a configuration change is what pull requests are for.
      config = await configAt(run, gitHost);
      configName = `${CONFIG_FILE} at ${run.sha.slice(0, 7)}`;
    }

    const input = {
      run,
      config,
      configName,
      policy,
      defaultBranch,
      sourceLocation,
      baseAllowsApplyBeforeMerge,
      changedFiles: undefined,
      ...(run.kind === 'rollback' && run.rollback ? { only: run.rollback } : {}),
      ...(run.kind === 'drift' && run.drift ? { only: run.drift } : {}),
      ...leaseSeconds,
    };
    // Targets before asking what changed: a push to a branch without environments (most pushes) ends
    // here without asking GitHub for a comparison.
    const found = candidateTargets(input);
    let result: ValidatedRun;
    if ('skipped' in found) result = decideTargets(input);
    else if (run.kind === 'drift') {
      // No change detection: a drift check plans every target it names, at the commit it runs.
      result = decideTargets({ ...input, changedFiles: undefined });
    } else if (!found.settings.planOnly) {
      result = decideTargets({ ...input, deployed: await deployedChanges(run, found.candidates, store, gitHost) });
    } else result = decideTargets({ ...input, changedFiles: await changedFilesOf(run, gitHost) });

    // Whether a drift found here opens a GitHub issue: the default branch's pushgate.yml alone says.
    const driftIssue = run.kind === 'drift' && config.environments[run.drift?.environment ?? '']?.drift.issue === true;
    await record(result, store, now(), config.notify.skipped, driftIssue);
    // What the policy refused is on the run too, when the rest deploys: each such target, skipped with why.
    if (!('skipped' in found) && result.skipped === undefined) {
      await recordRefused(run, found.refusedTargets, store, now());
    }
    return result;
  };
}

/**
 * Why a drift run may not run as asked, or undefined. Started by the drift function, which recorded
 * the run (kind, repository, commit, scope) before starting it: an execution started by other means
 * finds no such record, or one that says otherwise, whatever its input claims. Each project must
 * still run the commit: a deploy since the check was started makes it moot.
 */
async function driftRefused(
  run: RunRequest,
  store: Pick<RunStore, 'getRun'> & Pick<DeploymentStore, 'getCurrent'>,
): Promise<string | undefined> {
  const recorded = await store.getRun(run.runId);
  const asked = run.drift;
  if (
    asked === undefined ||
    recorded === undefined ||
    recorded.kind !== 'drift' ||
    recorded.repo !== run.repo ||
    recorded.sha !== run.sha ||
    recorded.actor !== run.actor ||
    recorded.branch !== run.branch ||
    recorded.drift === undefined ||
    recorded.drift.environment !== asked.environment ||
    !sameNames(recorded.drift.projects, asked.projects)
  ) {
    return 'a drift check runs only as the drift function recorded it (the schedule or pushgate drift)';
  }
  const current = await store.getCurrent(run.repo, asked.environment);
  const moved = asked.projects.flatMap((project) => {
    const deployed = current.find((record) => record.project === project);
    if (deployed === undefined) return [`${project} runs nothing recorded in ${asked.environment}`];
    if (deployed.sha !== run.sha) return [`${project} runs ${deployed.sha.slice(0, 7)} now`];
    return [];
  });
  if (moved.length > 0) {
    return `deployed moved on since the drift check of ${run.sha.slice(0, 7)} was started: ${moved.join('; ')}`;
  }
  return undefined;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((name, index) => name === right[index]);
}

async function recordRefused(run: RunRequest, refused: RefusedTarget[], store: TargetStore, at: Date): Promise<void> {
  for (const { project, environment, reason } of refused) {
    try {
      await store.putTarget(
        { runId: run.runId, repo: run.repo, project, environment, status: 'skipped', sha: run.sha, reason },
        at,
      );
    } catch (error) {
      // Recorded by an earlier attempt of this Validate.
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
  }
}

/**
 * The targets whose environment does not run what this commit defines: nothing deployed yet, a
 * different definition, or files the project watches that differ from the deployed commit's.
 */
async function deployedChanges(
  run: RunRequest,
  candidates: Candidate[],
  store: DeploymentStore,
  gitHost: GitHost,
): Promise<Map<string, TargetChange>> {
  const current = new Map<string, Promise<DeploymentRecord[]>>();
  const between = new Map<string, Promise<FilesBetween>>();
  const changes = new Map<string, TargetChange>();
  for (const { project, environment, definition } of candidates) {
    if (!current.has(environment)) current.set(environment, store.getCurrent(run.repo, environment));
    const deployed = (await current.get(environment)!).find((record) => record.project === project.name);
    const name = targetName(project.name, environment);
    if (deployed === undefined) {
      changes.set(name, {});
      continue;
    }
    const redefined = deployed.definition !== definition;
    if (deployed.sha === run.sha) {
      if (redefined) changes.set(name, {});
      continue;
    }
    if (!between.has(deployed.sha)) between.set(deployed.sha, filesBetween(gitHost, run.repo, deployed.sha, run.sha));
    const { files, backwards } = await between.get(deployed.sha)!;
    if (redefined || files === undefined || watchesAny(project.watch, files)) {
      changes.set(name, backwards ? { rollbackOf: deployed.sha } : {});
    }
  }
  return changes;
}

/** pushgate.yml as `branch` is now: `refs/heads/` so that a tag named like the branch cannot stand in. */
async function configOnBranch(run: RunRequest, branch: string, gitHost: GitHost): Promise<PushgateConfig> {
  const text = await gitHost.getFile(run.repo, CONFIG_FILE, `refs/heads/${branch}`);
  if (text === undefined) {
    throw new InvalidConfigError(
      `no ${CONFIG_FILE} on ${branch}: a push to ${run.branch} deploys only what ${branch}'s ${CONFIG_FILE} maps to it`,
    );
  }
  const parsed = parseConfig(text);
  if (!parsed.ok) throw InvalidConfigError.fromProblems(parsed.problems, `${CONFIG_FILE} on ${branch}`);
  return parsed.config;
}

async function configAt(run: RunRequest, gitHost: GitHost): Promise<PushgateConfig> {
  const sha7 = run.sha.slice(0, 7);
  const text = await gitHost.getFile(run.repo, CONFIG_FILE, run.sha);
  if (text === undefined) {
    throw new InvalidConfigError(`no ${CONFIG_FILE} at ${sha7}: add one at the repository root`);
  }
  const parsed = parseConfig(text);
  if (!parsed.ok) throw InvalidConfigError.fromProblems(parsed.problems, `${CONFIG_FILE} at ${sha7}`);
  return parsed.config;
}

/**
 * An issue comment's webhook names the pull request but carries no commit, branch or fork flag: the
 * intake sends zeros (and `fromFork: true`, so nothing runs with credentials by mistake) and the pull
 * request as it is now is looked up here.
 */
async function resolveHead(run: RunRequest, gitHost: GitHost): Promise<{ run: RunRequest; pull?: PullRequestInfo }> {
  if (run.kind !== 'comment' || !ZERO_SHA.test(run.sha)) return { run };
  const pull = await pullRequestOf(run, gitHost);
  return {
    run: {
      ...run,
      sha: pull.headSha,
      branch: pull.baseRef,
      pullRequest: {
        number: pull.number,
        baseRef: pull.baseRef,
        baseSha: pull.baseSha,
        headRef: pull.headRef,
        fromFork: pull.fromFork,
      },
    },
    pull,
  };
}

async function pullRequestOf(run: RunRequest, gitHost: GitHost): Promise<PullRequestInfo> {
  if (!run.pullRequest)
    throw new UnresolvedCommitError(`cannot find the commit of ${run.ref}: the comment names no pull request`);
  const pull = await gitHost.getPullRequest(run.repo, run.pullRequest.number);
  if (pull === undefined) {
    throw new UnresolvedCommitError(`pull request #${run.pullRequest.number} does not exist in ${run.repo}`);
  }
  return pull;
}

/**
 * `/pushgate` commands are for people who could push the change themselves: write access or more
 * (Atlantis' default too). Anyone else's comment is recorded as skipped, with the reason, and gets a
 * reply on the pull request (nobody would be told otherwise: skipped runs are not announced).
 */
async function commentDenied(
  run: RunRequest,
  gitHost: GitHost,
): Promise<{ reason: string; reply?: string } | undefined> {
  const author = run.comment?.author;
  if (!author) return { reason: 'the comment has no author' };
  const permission = await gitHost.getPermission(run.repo, author);
  if (canWrite(permission)) return undefined;
  const command = `/pushgate ${run.comment?.command ?? ''}`;
  return {
    reason: `${author} has ${permission} access to ${run.repo}: "${command}" needs write access`,
    reply: neutraliseMentions(`@${author}: \`${command}\` needs write access to ${run.repo} (you have ${permission})`),
  };
}

/** `@name` in a reply would notify (or look like pushgate notifying): a zero-width space after `@` stops it. */
function neutraliseMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, '@\u200B');
}

/** Undefined (every project changed) for a first or forced push, a drift check, an unknown base. */
async function changedFilesOf(run: RunRequest, gitHost: GitHost): Promise<string[] | undefined> {
  const base =
    run.kind === 'push'
      ? run.before
      : run.kind === 'drift'
        ? undefined
        : (run.pullRequest?.baseSha ?? run.pullRequest?.baseRef);
  if (base === undefined || base === '' || ZERO_SHA.test(base)) return undefined;
  return gitHost.changedFiles(run.repo, base, run.sha);
}

async function record(
  result: ValidatedRun,
  store: RunStore & TargetStore,
  at: Date,
  announceSkipped = false,
  driftIssue = false,
): Promise<void> {
  const { run } = result;
  let status = (await store.getRun(run.runId))?.status;
  if (status === undefined) {
    // The webhook intake creates the run before starting the workflow; a scheduled drift check may not.
    try {
      await store.createRun(runRecordInput(run), at);
      status = 'queued';
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      status = (await store.getRun(run.runId))?.status;
    }
  }

  if (result.skipped !== undefined) {
    if (status !== 'skipped') {
      await store.setRunStatus(
        run.runId,
        'skipped',
        { reason: result.skipped, ...(announceSkipped ? { announceSkipped } : {}) },
        at,
      );
    }
    return;
  }
  // A retried Validate finds the run running already; any other status is the store's to refuse.
  if (status !== 'running') await store.setRunStatus(run.runId, 'running', driftIssue ? { driftIssue } : undefined, at);
  // A few at a time: a first push of a large repository records thousands of targets.
  await eachLimited(result.waves.flat(), RECORD_CONCURRENCY, async (target) => {
    const key = { runId: run.runId, project: target.project, environment: target.environment };
    try {
      await store.putTarget({ ...key, repo: run.repo, status: 'queued', sha: run.sha }, at);
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      const existing = await store.getTarget(key.runId, key.project, key.environment);
      // The same target from an earlier attempt; a different commit would be a different run.
      if (existing?.sha !== run.sha) throw error;
    }
  });
}
