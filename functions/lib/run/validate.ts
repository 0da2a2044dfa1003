import type { PushgateConfig } from '../config/config-schema.ts';
import { InvalidConfigError } from '../config/invalid-config-error.ts';
import { parseConfig } from '../config/parse-config.ts';
import { canWrite, type GitHost, type PullRequestInfo } from '../git/git-host.ts';
import { AlreadyExistsError } from '../store/errors.ts';
import type { RunStore, TargetStore } from '../store/types.ts';
import { applyConfig } from '../targets/apply-config.ts';
import { CONFIG_FILE } from '../targets/config-file.ts';
import { decideTargets, skippedRun } from '../targets/decide-targets.ts';
import { UnresolvedCommitError } from '../targets/unresolved-commit-error.ts';
import type { RunRequest, ValidatedRun } from '../workflow/contract.ts';
import { runRecordInput } from './run-record-input.ts';

const ZERO_SHA = /^0+$/;

export interface ValidateDeps {
  store: RunStore & TargetStore;
  gitHost: GitHost;
  now?: () => Date;
  leaseSeconds?: number;
}

export type Validate = (run: RunRequest) => Promise<ValidatedRun>;

/**
 * The Validate step: pushgate.yml at the run's commit → the targets of the run, recorded as
 * queued. Safe to repeat (the workflow retries it): records that already exist are left as they are.
 * `/pushgate apply` takes its pushgate.yml from the base branch instead (applyConfig) and records a
 * missing or wrong one as a skipped run.
 * Throws InvalidConfigError for a missing or wrong pushgate.yml, GitHostError when GitHub fails.
 */
export function createValidate(deps: ValidateDeps): Validate {
  const now = deps.now ?? (() => new Date());
  const { gitHost, store } = deps;
  const leaseSeconds = deps.leaseSeconds === undefined ? {} : { leaseSeconds: deps.leaseSeconds };

  return async function validate(request) {
    const { run, pull } = await resolveHead(request, gitHost);
    const sourceLocation = gitHost.cloneUrl(run.repo);
    const skip = async (reason: string) => {
      const result = skippedRun(run, reason, { sourceLocation, ...leaseSeconds });
      await record(result, store, now());
      return result;
    };

    if (run.kind === 'comment') {
      const denied = await commentDenied(run, gitHost);
      if (denied !== undefined) return skip(denied);
    }
    let config: PushgateConfig;
    let baseAllowsApplyBeforeMerge = false;
    if (run.kind === 'comment' && run.comment?.command === 'apply') {
      const applying = await applyConfig(run, pull ?? (await pullRequestOf(run, gitHost)), gitHost);
      if ('skipped' in applying) return skip(applying.skipped);
      config = applying.config;
      baseAllowsApplyBeforeMerge = config.applyBeforeMerge;
    } else {
      // A pull request's plan (plan-only, no credentials to deploy) shows what its own pushgate.yml
      // would do: proposing a configuration change is what pull requests are for.
      config = await configAt(run, gitHost);
    }

    const decide = (changedFiles: string[] | undefined) =>
      decideTargets({ run, config, changedFiles, sourceLocation, baseAllowsApplyBeforeMerge, ...leaseSeconds });
    // With every project counted as changed first: a push to a branch without environments (most
    // pushes) ends here without asking GitHub for a comparison.
    const everything = decide(undefined);
    const result = everything.skipped ? everything : decide(await changedFilesOf(run, gitHost));

    await record(result, store, now());
    return result;
  };
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
 * (Atlantis' default too). Anyone else's comment is recorded as skipped, with the reason.
 */
async function commentDenied(run: RunRequest, gitHost: GitHost): Promise<string | undefined> {
  const author = run.comment?.author;
  if (!author) return 'the comment has no author';
  const permission = await gitHost.getPermission(run.repo, author);
  if (canWrite(permission)) return undefined;
  return `${author} has ${permission} access to ${run.repo}: "/pushgate ${run.comment?.command ?? ''}" needs write access`;
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

async function record(result: ValidatedRun, store: RunStore & TargetStore, at: Date): Promise<void> {
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
    if (status !== 'skipped') await store.setRunStatus(run.runId, 'skipped', { reason: result.skipped }, at);
    return;
  }
  // A retried Validate finds the run running already; any other status is the store's to refuse.
  if (status !== 'running') await store.setRunStatus(run.runId, 'running', undefined, at);
  for (const target of result.waves.flat()) {
    const key = { runId: run.runId, project: target.project, environment: target.environment };
    try {
      await store.putTarget({ ...key, repo: run.repo, status: 'queued', sha: run.sha }, at);
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      const existing = await store.getTarget(key.runId, key.project, key.environment);
      // The same target from an earlier attempt; a different commit would be a different run.
      if (existing?.sha !== run.sha) throw error;
    }
  }
}
