import { branchMoved } from '../git/branch-moved.ts';
import type { GitHost, PullRequestInfo } from '../git/git-host.ts';
import { secondsSince } from '../run/run-metrics.ts';
import type { ApprovalEntry } from '../store/types.ts';
import type { RunRequest } from '../workflow/contract.ts';
import { ApprovalDecisionRequest, type ApprovalDecisionResult, type ApprovalTargetResult } from './approval-request.ts';
import { awsPrincipalLogin } from './aws-principal.ts';
import { checkApprover, type Approver } from './check-approver.ts';
import { findCandidates, type Candidate } from './find-candidates.ts';
import type { DecideApprovalDeps } from './types.ts';

/** The error SendTaskFailure ends WaitForApproval with; the ASL maps it to target status `rejected`. */
export const APPROVAL_REJECTED_ERROR = 'ApprovalRejected';

/**
 * The one approval function: every channel (pull request comments, Slack buttons, the CLI) decides
 * through it, so the rules are the same everywhere. For each target it finds (by run, or by pull
 * request), in this order: the target is waiting for approval; the run is not superseded (a pull
 * request's head, or a push's branch, still points at its commit); the plan is the one the approver
 * saw; the approver may decide (checkApprover: an approver, and for an approval neither the run's
 * actor nor the author of a pull request behind its commit); then the task token is taken (one
 * conditional write, so two approvers at once resume the run once) and the run resumed. Every refusal
 * is a result with its reason, never an exception.
 */
export async function decideApproval(input: unknown, deps: DecideApprovalDeps): Promise<ApprovalDecisionResult> {
  const parsed = ApprovalDecisionRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    return refusedAll(`invalid approval request${where}: ${issue?.message ?? 'invalid'}`);
  }
  const request = parsed.data;
  const now = deps.now ?? (() => new Date());

  let approver: Approver;
  let slackUser: string | undefined;
  if (request.via === 'cli') {
    const arn = request.actor.aws!;
    const login = awsPrincipalLogin(arn, (await deps.policy()).awsPrincipals ?? {});
    approver = { kind: 'aws', arn, ...(login === undefined ? {} : { login }) };
  } else if (request.via === 'slack') {
    slackUser = request.actor.slack!;
    const users = (await deps.policy()).slackUsers ?? {};
    const login = Object.hasOwn(users, slackUser) ? users[slackUser] : undefined;
    if (login === undefined) {
      return refusedAll(
        `Slack user ${slackUser} is not linked to a GitHub login: the platform policy's slackUsers must map them`,
      );
    }
    approver = { kind: 'github', login };
  } else {
    approver = { kind: 'github', login: request.actor.github! };
  }
  // A CLI caller mapped to a login is recorded as the login (and its ARN, as awsPrincipal).
  const who = approver.login ?? (approver.kind === 'aws' ? approver.arn : '');
  const awsPrincipal = approver.kind === 'aws' ? approver.arn : undefined;

  const found = await findCandidates(request, deps);
  if ('none' in found) return refusedAll(found.none);
  const requestedPull = found.pull;

  const results: ApprovalTargetResult[] = [];
  const pulls = new Map<string, Promise<PullRequestInfo | undefined>>();
  const authorsByRun = new Map<string, Promise<string[]>>();
  for (const candidate of found.candidates) {
    const refusal = await refusalOf(candidate);
    const { run, target } = candidate;
    const base = { runId: run.runId, project: target.project, environment: target.environment };
    if (refusal !== undefined) {
      results.push({ ...base, outcome: 'refused', reason: refusal });
      continue;
    }
    results.push({ ...base, ...(await resume(candidate)) });
  }
  return summarize(results, request.decision, who);

  async function refusalOf({ run, target }: Candidate): Promise<string | undefined> {
    if (target.status !== 'awaiting_approval') return `not waiting for approval (status ${target.status})`;
    const superseded = await supersededBy({ run, target });
    if (superseded !== undefined) return superseded;
    if (target.planSha256 === undefined) return 'the target has no reviewed plan';
    if (request.planSha256 !== undefined && request.planSha256 !== target.planSha256) {
      return 'the plan changed since this approval was requested';
    }
    if (target.approvalRequest === undefined) {
      return 'no approval request is recorded on this target (its wait has not started yet)';
    }
    return checkApprover({
      decision: request.decision,
      approver,
      request: target.approvalRequest,
      runActor: run.actor,
      authors: () => authorsOf({ run, target }),
      environment: target.environment,
      teams: deps.gitHost,
    });
  }

  /** A pull request as it is now, read once per decision. */
  function pullOf(repo: string, number: number): Promise<PullRequestInfo | undefined> {
    const key = `${repo}#${number}`;
    if (!pulls.has(key)) {
      const known = requestedPull?.number === number ? requestedPull : undefined;
      pulls.set(key, known ? Promise.resolve(known) : deps.gitHost.getPullRequest(repo, number));
    }
    return pulls.get(key)!;
  }

  /**
   * Who opened the pull request(s) behind the run's commit: a `/pushgate apply` run's pull request,
   * and the pull requests GitHub associates with the commit (a merge commit's merged pull request,
   * whoever merged it). Throws when GitHub cannot say: the approval is then refused.
   */
  function authorsOf({ run, target }: Candidate): Promise<string[]> {
    const key = `${run.runId}@${target.sha}`;
    if (!authorsByRun.has(key)) {
      const ofPull =
        run.kind !== 'push' && run.pullRequest !== undefined
          ? pullOf(run.repo, run.pullRequest).then((pull) => (pull?.author === undefined ? [] : [pull.author]))
          : Promise.resolve([]);
      const found = Promise.all([ofPull, deps.gitHost.pullRequestAuthorsOf(run.repo, target.sha)]).then((lists) =>
        lists.flat(),
      );
      authorsByRun.set(key, found);
    }
    return authorsByRun.get(key)!;
  }

  /** A newer commit is what should deploy: approving this one would apply an older plan over it. */
  async function supersededBy({ run, target }: Candidate): Promise<string | undefined> {
    const sha = target.sha;
    if (run.kind !== 'push' && run.pullRequest !== undefined) {
      const head = (await pullOf(run.repo, run.pullRequest))?.headSha;
      if (head === undefined) return `pull request #${run.pullRequest} no longer exists`;
      if (head !== sha)
        return `superseded by ${head.slice(0, 7)} (the head of #${run.pullRequest}): approve the newer run`;
      return undefined;
    }
    if (run.kind === 'push') {
      // branchMoved reads only repo, branch and sha, and of the host only resolveRef.
      const moved = await branchMoved(
        { repo: run.repo, branch: run.branch, sha } as RunRequest,
        deps.gitHost as Pick<GitHost, 'resolveRef'> as GitHost,
      );
      if (moved.moved) return `superseded: ${moved.reason}; approve the newer run`;
    }
    return undefined;
  }

  async function resume({ run, target }: Candidate): Promise<Pick<ApprovalTargetResult, 'outcome' | 'reason'>> {
    const at = now().toISOString();
    const decided = request.decision === 'approve' ? 'approved' : 'rejected';
    const entry: ApprovalEntry = {
      decision: decided,
      by: who,
      via: request.via,
      at,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      ...(slackUser === undefined ? {} : { slackUser }),
      ...(awsPrincipal === undefined ? {} : { awsPrincipal }),
    };
    const planSha256 = target.planSha256!;
    const taken = await deps.store.takeApprovalToken(run.runId, target.project, target.environment, entry, {
      planSha256,
    });
    if (!taken.taken) return { outcome: 'refused', reason: taken.reason };
    let resumed;
    try {
      resumed =
        decided === 'approved'
          ? await deps.tasks.succeed(taken.taskToken, { approvedBy: who, via: request.via, at, planSha256 })
          : await deps.tasks.fail(taken.taskToken, APPROVAL_REJECTED_ERROR, `rejected by ${who}: ${request.reason}`);
    } catch (error) {
      const name = error instanceof Error ? error.message : String(error);
      if (!changedNothing(error)) {
        // A network error, a timeout or a 5xx: Step Functions may have taken the decision. Putting the
        // token back would let a second decision contradict the one that resumed the run; without it,
        // a wait that was not resumed ends at its timeout (expired).
        return {
          outcome: 'refused',
          reason: `Step Functions did not confirm the decision (${name}): it may have resumed the run; see \`pushgate run ${run.runId}\` before deciding again`,
        };
      }
      // Step Functions refused the call itself: put the token back, so that the run can still be decided.
      await deps.store
        .restoreApprovalToken(run.runId, target.project, target.environment, taken.taskToken, taken.entryIndex)
        .catch(() => false);
      return { outcome: 'refused', reason: `could not resume the run (${name}): try again` };
    }
    if (!resumed.resumed) return { outcome: 'refused', reason: 'the approval expired' };
    deps.metrics?.approvalDecided(secondsSince(target.approvalRequest?.requestedAt, new Date(at)) ?? 0);
    return { outcome: decided };
  }
}

/** Step Functions answers that certainly changed nothing (the wait being over is answered `expired`, not thrown). */
const CHANGED_NOTHING = new Set([
  'InvalidToken',
  'InvalidOutput',
  'ValidationException',
  'TaskDoesNotExist',
  'TaskTimedOut',
]);

/**
 * Whether a failed SendTaskSuccess/SendTaskFailure certainly changed nothing: Step Functions refused
 * the request itself (one of the errors above, or any other 4xx: throttled, access denied). The
 * resumer wraps the SDK's error, so the causes are read too.
 */
function changedNothing(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (CHANGED_NOTHING.has(current.name)) return true;
    const status = (current as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
    if (typeof status === 'number') return status >= 400 && status < 500;
    current = current.cause;
  }
  return false;
}

function refusedAll(message: string): ApprovalDecisionResult {
  return { ok: false, message, targets: [] };
}

function summarize(
  targets: ApprovalTargetResult[],
  decision: ApprovalDecisionRequest['decision'],
  who: string,
): ApprovalDecisionResult {
  const decided = targets.filter((target) => target.outcome !== 'refused');
  const refused = targets.filter((target) => target.outcome === 'refused');
  const lines = [
    ...decided.map((t) => `${t.outcome} ${t.project}/${t.environment} (run ${t.runId}) as ${who}`),
    ...refused.map((t) => `cannot ${decision} ${t.project}/${t.environment} (run ${t.runId}): ${t.reason}`),
  ];
  return { ok: decided.length > 0 && refused.length === 0, message: lines.join('\n'), targets };
}
