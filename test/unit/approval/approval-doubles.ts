import type { DecideApprovalDeps, TaskResumer, TaskResumeResult } from '../../../functions/lib/approval/types.ts';
import type { PullRequestInfo } from '../../../functions/lib/git/git-host.ts';
import type { RunRecord, TargetRecord } from '../../../functions/lib/store/types.ts';

export const T0 = new Date('2025-03-01T12:00:00.000Z');
export const SHA = 'a'.repeat(40);
export const NEWER = 'c'.repeat(40);
export const PLAN = 'b'.repeat(64);
export const REPO = 'octo/infra';

export function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: 'r1',
    repo: REPO,
    kind: 'push',
    ref: 'refs/heads/main',
    branch: 'main',
    sha: SHA,
    actor: 'pusher',
    deliveryId: 'd1',
    status: 'running',
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    ...overrides,
  };
}

export function target(overrides: Partial<TargetRecord> = {}): TargetRecord {
  return {
    runId: 'r1',
    repo: REPO,
    project: 'net',
    environment: 'prod',
    status: 'awaiting_approval',
    sha: SHA,
    planSha256: PLAN,
    approvalTaskToken: 'token-r1-net-prod',
    approvalRequest: {
      approvers: ['alice', '@octo/platform'],
      allowSelfApproval: false,
      requestedAt: T0.toISOString(),
      expiresAt: '2025-03-08T12:00:00.000Z',
    },
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    ...overrides,
  };
}

/**
 * A recording TaskResumer double: it resumes nothing, it remembers every call, and answers what the
 * test sets (`answer`), or throws `failWith`.
 */
export function recordingResumer(): TaskResumer & {
  calls: { method: 'succeed' | 'fail'; taskToken: string; output?: unknown; error?: string; cause?: string }[];
  answer: TaskResumeResult;
  failWith?: Error;
} {
  const resumer = {
    calls: [] as { method: 'succeed' | 'fail'; taskToken: string; output?: unknown; error?: string; cause?: string }[],
    answer: { resumed: true } as TaskResumeResult,
    failWith: undefined as Error | undefined,
    async succeed(taskToken: string, output: unknown) {
      resumer.calls.push({ method: 'succeed', taskToken, output });
      if (resumer.failWith) throw resumer.failWith;
      return resumer.answer;
    },
    async fail(taskToken: string, error: string, cause: string) {
      resumer.calls.push({ method: 'fail', taskToken, error, cause });
      if (resumer.failWith) throw resumer.failWith;
      return resumer.answer;
    },
  };
  return resumer;
}

/** The store slice decideApproval uses, in memory, with takeApprovalToken's one-winner semantics. */
export function memoryApprovalStore(
  runs: RunRecord[],
  targets: TargetRecord[],
): DecideApprovalDeps['store'] & {
  targets: TargetRecord[];
} {
  return {
    targets,
    async getRun(runId) {
      return runs.find((r) => r.runId === runId);
    },
    async findRunsBySha(repo, sha) {
      return runs.filter((r) => r.repo === repo && r.sha === sha);
    },
    async listTargets(runId) {
      return targets.filter((t) => t.runId === runId).map((t) => ({ ...t }));
    },
    async takeApprovalToken(runId, project, environment, entry, expect) {
      const t = targets.find((x) => x.runId === runId && x.project === project && x.environment === environment);
      if (!t) return { taken: false, reason: 'no such target' };
      const last = t.approvals?.at(-1);
      if (t.status !== 'awaiting_approval' || t.approvalTaskToken === undefined || t.planSha256 !== expect.planSha256) {
        return { taken: false, reason: last ? `already ${last.decision} by ${last.by}` : 'not waiting' };
      }
      const taskToken = t.approvalTaskToken;
      const entryIndex = t.approvals?.length ?? 0;
      t.approvals = [...(t.approvals ?? []), entry];
      delete t.approvalTaskToken;
      return { taken: true, taskToken, entryIndex };
    },
    async restoreApprovalToken(runId, project, environment, taskToken, entryIndex) {
      const t = targets.find((x) => x.runId === runId && x.project === project && x.environment === environment);
      if (!t || t.approvalTaskToken !== undefined) return false;
      t.approvalTaskToken = taskToken;
      t.approvals = t.approvals?.filter((_, index) => index !== entryIndex);
      return true;
    },
  };
}

export function gitHost(options: {
  branchHead?: string;
  pulls?: Record<number, Partial<PullRequestInfo>>;
  teams?: Record<string, string[]>;
  /** Commit sha → the logins of the pull requests associated with it; an Error makes the lookup fail. */
  authors?: Record<string, string[]> | Error;
}): DecideApprovalDeps['gitHost'] & { teamCalls: string[]; authorCalls: string[] } {
  const teamCalls: string[] = [];
  const authorCalls: string[] = [];
  return {
    teamCalls,
    authorCalls,
    async pullRequestAuthorsOf(_repo, sha) {
      authorCalls.push(sha);
      if (options.authors instanceof Error) throw options.authors;
      return options.authors?.[sha] ?? [];
    },
    async resolveRef(_repo, ref) {
      return ref === 'heads/main' ? (options.branchHead ?? SHA) : undefined;
    },
    async getPullRequest(_repo, number) {
      const pull = options.pulls?.[number];
      if (!pull) return undefined;
      return {
        number,
        headSha: SHA,
        headRef: 'feature',
        baseRef: 'main',
        baseSha: 'd'.repeat(40),
        fromFork: false,
        state: 'open',
        merged: false,
        ...pull,
      };
    },
    async isTeamMember(org, team, login) {
      teamCalls.push(`${org}/${team}:${login}`);
      return (options.teams?.[`${org}/${team}`] ?? []).includes(login);
    },
  };
}
