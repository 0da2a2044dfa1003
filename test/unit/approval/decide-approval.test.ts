import { beforeEach, describe, expect, it } from 'vitest';
import { decideApproval } from '../../../functions/lib/approval/decide-approval.ts';
import type { DecideApprovalDeps } from '../../../functions/lib/approval/types.ts';
import type { RunRecord, TargetRecord } from '../../../functions/lib/store/types.ts';
import {
  gitHost,
  memoryApprovalStore,
  NEWER,
  PLAN,
  recordingResumer,
  REPO,
  run,
  SHA,
  T0,
  target,
} from './approval-doubles.ts';

// The TaskResumer is a recording double (approval-doubles.ts): nothing is resumed, calls are kept.
let resumer: ReturnType<typeof recordingResumer>;
let store: ReturnType<typeof memoryApprovalStore>;

function deps(
  runs: RunRecord[] = [run()],
  targets: TargetRecord[] = [target()],
  host = gitHost({ teams: { 'octo/platform': ['tina'] } }),
  slackUsers: Record<string, string> = { U123ALICE: 'alice', U999PUSH: 'pusher' },
): DecideApprovalDeps {
  store = memoryApprovalStore(runs, targets);
  return { store, gitHost: host, tasks: resumer, policy: async () => ({ slackUsers }), now: () => T0 };
}

const approve = (login: string, extra: Record<string, unknown> = {}) => ({
  decision: 'approve',
  via: 'github',
  runId: 'r1',
  actor: { github: login },
  ...extra,
});

beforeEach(() => {
  resumer = recordingResumer();
});

describe('decideApproval: attacks', () => {
  it('refuses a non-approver and resumes nothing', async () => {
    const result = await decideApproval(approve('mallory'), deps());
    expect(result).toEqual({
      ok: false,
      message: expect.stringContaining('mallory is not an approver of prod: approvers are alice, @octo/platform'),
      targets: [
        {
          runId: 'r1',
          project: 'net',
          environment: 'prod',
          outcome: 'refused',
          reason: 'mallory is not an approver of prod: approvers are alice, @octo/platform',
        },
      ],
    });
    expect(resumer.calls).toEqual([]);
    expect(store.targets[0]!.approvalTaskToken).toBe('token-r1-net-prod');
  });

  it('refuses the pusher approving their own change, even when listed', async () => {
    const t = target({ approvalRequest: { ...target().approvalRequest!, approvers: ['pusher', 'alice'] } });
    const result = await decideApproval(approve('Pusher'), deps([run()], [t]));
    expect(result.targets[0]).toMatchObject({
      outcome: 'refused',
      reason: 'Pusher pushed this change and cannot approve it (approval.allowSelfApproval is off)',
    });
    expect(resumer.calls).toEqual([]);
  });

  it('lets the pusher approve when allowSelfApproval is on', async () => {
    const t = target({
      approvalRequest: { ...target().approvalRequest!, approvers: ['pusher'], allowSelfApproval: true },
    });
    expect((await decideApproval(approve('pusher'), deps([run()], [t]))).ok).toBe(true);
  });

  it('refuses a superseded push run: its branch moved on', async () => {
    const result = await decideApproval(approve('alice'), deps([run()], [target()], gitHost({ branchHead: NEWER })));
    expect(result.targets[0]!.reason).toMatch(
      /^superseded: main now points to ccccccc, not aaaaaaa.*approve the newer run$/,
    );
    expect(resumer.calls).toEqual([]);
  });

  it('refuses a superseded /pushgate apply run: the pull request has a newer head', async () => {
    const r = run({ kind: 'comment', sha: '0'.repeat(40), branch: '', pullRequest: 7 });
    const result = await decideApproval(
      approve('alice'),
      deps([r], [target()], gitHost({ pulls: { 7: { headSha: NEWER } } })),
    );
    expect(result.targets[0]!.reason).toBe('superseded by ccccccc (the head of #7): approve the newer run');
  });

  it('refuses a plan that changed since the approval was asked for', async () => {
    const result = await decideApproval(approve('alice', { planSha256: 'e'.repeat(64) }), deps());
    expect(result.targets[0]!.reason).toBe('the plan changed since this approval was requested');
    expect(resumer.calls).toEqual([]);
  });

  it('resumes once when approved twice', async () => {
    const d = deps();
    const first = await decideApproval(approve('alice'), d);
    const second = await decideApproval(approve('tina'), d);
    expect(first.ok).toBe(true);
    expect(second.targets[0]).toMatchObject({ outcome: 'refused' });
    expect(resumer.calls).toHaveLength(1);
  });

  it('says the approval expired when Step Functions answers TaskTimedOut', async () => {
    resumer.answer = { resumed: false, expired: true };
    const result = await decideApproval(approve('alice'), deps());
    expect(result.targets[0]).toMatchObject({ outcome: 'refused', reason: 'the approval expired' });
    expect(result.ok).toBe(false);
  });

  /** What the real resumer (sfn-task-resumer.ts) throws: a TaskResumeError whose cause is the SDK's error. */
  function sfnError(name: string, status?: number): Error {
    const cause = Object.assign(new Error(name), {
      name,
      ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    });
    return new Error(`SendTaskSuccess failed: ${name}`, { cause });
  }

  it.each([
    ['InvalidToken', 400],
    ['InvalidOutput', 400],
    ['ValidationException', 400],
    ['ThrottlingException', 400],
  ])('puts the token back after %s: Step Functions certainly changed nothing', async (name, status) => {
    resumer.failWith = sfnError(name, status);
    const result = await decideApproval(approve('alice'), deps());
    expect(result.targets[0]!.reason).toBe(`could not resume the run (SendTaskSuccess failed: ${name}): try again`);
    expect(store.targets[0]!.approvalTaskToken).toBe('token-r1-net-prod');
    expect(store.targets[0]!.approvals).toEqual([]);
  });

  it.each([
    ['a network error', new Error('socket hang up')],
    ['a 5xx', sfnError('InternalServerError', 500)],
    ['a timeout', sfnError('TimeoutError')],
  ])('keeps the decision after %s: Step Functions may have taken it', async (_, error) => {
    resumer.failWith = error;
    const result = await decideApproval(approve('alice'), deps());
    expect(result.ok).toBe(false);
    expect(result.targets[0]!.reason).toMatch(
      /^Step Functions did not confirm the decision \(.+\): it may have resumed the run/,
    );
    expect(store.targets[0]!.approvalTaskToken).toBeUndefined();
    expect(store.targets[0]!.approvals).toEqual([expect.objectContaining({ decision: 'approved', by: 'alice' })]);
  });

  it('refuses an unlinked Slack user', async () => {
    const result = await decideApproval(
      { decision: 'approve', via: 'slack', runId: 'r1', actor: { slack: 'U0EVE' } },
      deps(),
    );
    expect(result).toEqual({
      ok: false,
      message: "Slack user U0EVE is not linked to a GitHub login: the platform policy's slackUsers must map them",
      targets: [],
    });
  });

  it('refuses a request with the wrong actor for its channel', async () => {
    const result = await decideApproval(
      { decision: 'approve', via: 'cli', runId: 'r1', actor: { github: 'alice' } },
      deps(),
    );
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^invalid approval request at actor/);
  });

  describe('the author of the pull request behind the change', () => {
    const MERGE = 'e'.repeat(40);
    const withMallory = (overrides: Partial<NonNullable<TargetRecord['approvalRequest']>> = {}) =>
      target({
        sha: MERGE,
        approvalRequest: { ...target().approvalRequest!, approvers: ['mallory', 'alice'], ...overrides },
      });
    // Mallory opened the pull request, Bob merged it: the push of the merge commit is Bob's.
    const merged = () => run({ sha: MERGE, actor: 'bob' });

    it('refuses Mallory approving the deploy of her merged pull request, merged by Bob', async () => {
      const host = gitHost({ branchHead: MERGE, authors: { [MERGE]: ['Mallory'] } });
      const result = await decideApproval(approve('mallory'), deps([merged()], [withMallory()], host));
      expect(result.targets[0]).toMatchObject({
        outcome: 'refused',
        reason:
          'mallory opened the pull request of this change and cannot approve it (approval.allowSelfApproval is off)',
      });
      expect(host.authorCalls).toEqual([MERGE]);
      expect(resumer.calls).toEqual([]);
      expect(store.targets[0]!.approvalTaskToken).toBe('token-r1-net-prod');
    });

    it("refuses the author of a /pushgate apply run's pull request, whoever commented", async () => {
      const r = run({ kind: 'comment', sha: '0'.repeat(40), branch: '', pullRequest: 7, actor: 'bob' });
      const host = gitHost({ pulls: { 7: { headSha: MERGE, author: 'mallory' } } });
      const result = await decideApproval(approve('mallory'), deps([r], [withMallory()], host));
      expect(result.targets[0]!.reason).toBe(
        'mallory opened the pull request of this change and cannot approve it (approval.allowSelfApproval is off)',
      );
      expect(resumer.calls).toEqual([]);
    });

    it('refuses the author through a decision by pull request too', async () => {
      const host = gitHost({
        branchHead: MERGE,
        pulls: { 7: { merged: true, state: 'closed', mergeCommitSha: MERGE, author: 'mallory' } },
        authors: { [MERGE]: ['mallory'] },
      });
      const result = await decideApproval(
        { decision: 'approve', via: 'github', repo: REPO, pullRequest: 7, actor: { github: 'mallory' } },
        deps([merged()], [withMallory()], host),
      );
      expect(result.ok).toBe(false);
      expect(result.targets[0]!.reason).toMatch(/^mallory opened the pull request of this change/);
      expect(resumer.calls).toEqual([]);
    });

    it('fails closed when GitHub cannot say who opened the pull requests', async () => {
      const host = gitHost({ branchHead: MERGE, authors: new Error('GitHub answered 502') });
      const result = await decideApproval(approve('alice'), deps([merged()], [withMallory()], host));
      expect(result.targets[0]).toMatchObject({
        outcome: 'refused',
        reason: 'could not check who wrote this change: try again',
      });
      expect(resumer.calls).toEqual([]);
      expect(store.targets[0]!.approvalTaskToken).toBe('token-r1-net-prod');
    });

    it('lets another approver approve, and asks GitHub once per run', async () => {
      const host = gitHost({ branchHead: MERGE, authors: { [MERGE]: ['mallory'] } });
      const targets = [withMallory(), { ...withMallory(), project: 'dns', approvalTaskToken: 't-dns' }];
      const result = await decideApproval(approve('alice'), deps([merged()], targets, host));
      expect(result.ok).toBe(true);
      expect(host.authorCalls).toEqual([MERGE]);
      expect(resumer.calls).toHaveLength(2);
    });

    it('asks nothing when self-approval is allowed, or for a rejection', async () => {
      const host = gitHost({ branchHead: MERGE, authors: new Error('not asked') });
      const allowed = await decideApproval(
        approve('mallory'),
        deps([merged()], [withMallory({ allowSelfApproval: true })], host),
      );
      expect(allowed.ok).toBe(true);
      const rejected = await decideApproval(
        { ...approve('mallory'), decision: 'reject', reason: 'not yet' },
        deps([merged()], [withMallory()], host),
      );
      expect(rejected.ok).toBe(true);
      expect(host.authorCalls).toEqual([]);
    });
  });

  it('refuses a target that is not waiting, naming its status', async () => {
    const result = await decideApproval(
      approve('alice', { project: 'net', environment: 'prod' }),
      deps([run()], [target({ status: 'succeeded' })]),
    );
    expect(result.targets[0]!.reason).toBe('not waiting for approval (status succeeded)');
  });
});

describe('decideApproval: who may decide', () => {
  it('approves for a listed login, case-insensitively, and resumes with the decision', async () => {
    const result = await decideApproval(approve('ALICE'), deps());
    expect(result).toMatchObject({ ok: true, targets: [{ outcome: 'approved' }] });
    expect(resumer.calls).toEqual([
      {
        method: 'succeed',
        taskToken: 'token-r1-net-prod',
        output: { approvedBy: 'ALICE', via: 'github', at: T0.toISOString(), planSha256: PLAN },
      },
    ]);
    expect(store.targets[0]!.approvals).toEqual([
      { decision: 'approved', by: 'ALICE', via: 'github', at: T0.toISOString() },
    ]);
  });

  it('approves for a member of an @org/team entry', async () => {
    const host = gitHost({ teams: { 'octo/platform': ['tina'] } });
    const result = await decideApproval(approve('tina'), deps(undefined, undefined, host));
    expect(result.ok).toBe(true);
    expect(host.teamCalls).toEqual(['octo/platform:tina']);
  });

  it('maps a Slack user to their GitHub login and records both', async () => {
    const result = await decideApproval(
      { decision: 'approve', via: 'slack', runId: 'r1', planSha256: PLAN, actor: { slack: 'U123ALICE' } },
      deps(),
    );
    expect(result.ok).toBe(true);
    expect(store.targets[0]!.approvals?.[0]).toEqual({
      decision: 'approved',
      by: 'alice',
      via: 'slack',
      at: T0.toISOString(),
      slackUser: 'U123ALICE',
    });
  });

  it('rejects with ApprovalRejected and the reason; the pusher may reject their own change', async () => {
    const result = await decideApproval(
      { decision: 'reject', via: 'github', runId: 'r1', reason: 'wrong region', actor: { github: 'pusher' } },
      deps(),
    );
    expect(result).toMatchObject({ ok: true, targets: [{ outcome: 'rejected' }] });
    expect(resumer.calls).toEqual([
      {
        method: 'fail',
        taskToken: 'token-r1-net-prod',
        error: 'ApprovalRejected',
        cause: 'rejected by pusher: wrong region',
      },
    ]);
  });

  it('needs a reason to reject', async () => {
    const result = await decideApproval(
      { decision: 'reject', via: 'github', runId: 'r1', actor: { github: 'alice' } },
      deps(),
    );
    expect(result.message).toBe('invalid approval request at reason: a rejection needs a reason');
  });

  const cli = (arn: string) => ({ decision: 'approve', via: 'cli', runId: 'r1', actor: { aws: arn } });
  const withArn = () =>
    target({
      approvalRequest: { ...target().approvalRequest!, approvers: ['alice', 'arn:aws:iam::111111111111:role/release'] },
    });

  it('CLI: refuses a caller the policy does not map and the approvers do not name (no fail-open)', async () => {
    const result = await decideApproval(cli('arn:aws:iam::111111111111:user/ops'), deps());
    expect(result.ok).toBe(false);
    expect(result.targets[0]!.reason).toBe(
      'arn:aws:iam::111111111111:user/ops is not mapped to a GitHub login (policy awsPrincipals) and is not an approver of prod: approvers are alice, @octo/platform',
    );
    expect(resumer.calls).toEqual([]);
    const refused = await decideApproval(cli('arn:aws:iam::111111111111:user/ops'), deps([run()], [withArn()]));
    expect(refused.targets[0]!.reason).toMatch(/^arn:aws:iam::111111111111:user\/ops is not mapped/);
  });

  it('CLI: an approvers ARN matches the caller, also as an assumed-role session of that role', async () => {
    const ok = await decideApproval(cli('arn:aws:iam::111111111111:role/release'), deps([run()], [withArn()]));
    expect(ok.ok).toBe(true);
    const session = await decideApproval(
      cli('arn:aws:sts::111111111111:assumed-role/release/anything-the-caller-chose'),
      deps([run()], [withArn()]),
    );
    expect(session.ok).toBe(true);
    expect(store.targets[0]!.approvals?.[0]).toMatchObject({
      by: 'arn:aws:sts::111111111111:assumed-role/release/anything-the-caller-chose',
      awsPrincipal: 'arn:aws:sts::111111111111:assumed-role/release/anything-the-caller-chose',
    });
    const otherAccount = await decideApproval(
      cli('arn:aws:sts::222222222222:assumed-role/release/s'),
      deps([run()], [withArn()]),
    );
    expect(otherAccount.ok).toBe(false);
  });

  it('CLI: a mapped caller is their GitHub login: approvers, teams and self-approval apply', async () => {
    const mapped = (awsPrincipals: Record<string, string>) => {
      const d = deps();
      return { ...d, policy: async () => ({ slackUsers: {}, awsPrincipals }) };
    };
    const role = 'arn:aws:iam::111111111111:role/path/alice-role';
    const session = 'arn:aws:sts::111111111111:assumed-role/alice-role/whatever';
    const result = await decideApproval(cli(session), mapped({ [role]: 'alice' }));
    expect(result).toMatchObject({ ok: true, message: expect.stringContaining('as alice') });
    expect(store.targets[0]!.approvals?.[0]).toEqual({
      decision: 'approved',
      by: 'alice',
      via: 'cli',
      at: T0.toISOString(),
      awsPrincipal: session,
    });
    const team = await decideApproval(cli(role), mapped({ [role]: 'tina' }));
    expect(team.ok).toBe(true);
    const self = await decideApproval(cli(role), mapped({ [role]: 'pusher' }));
    expect(self.targets[0]!.reason).toBe('pusher is not an approver of prod: approvers are alice, @octo/platform');
    const listedPusher = target({ approvalRequest: { ...target().approvalRequest!, approvers: ['pusher'] } });
    const d = mapped({ [role]: 'pusher' });
    store = memoryApprovalStore([run()], [listedPusher]);
    const own = await decideApproval(cli(role), { ...d, store });
    expect(own.targets[0]!.reason).toBe(
      'pusher pushed this change and cannot approve it (approval.allowSelfApproval is off)',
    );
    const stranger = await decideApproval(cli(role), mapped({ [role]: 'mallory' }));
    expect(stranger.targets[0]!.reason).toBe('mallory is not an approver of prod: approvers are alice, @octo/platform');
  });
});

describe('decideApproval: by pull request', () => {
  it("approves every waiting target of the pull request's head, filtered by environment", async () => {
    const runs = [
      run({ runId: 'r1' }),
      run({ runId: 'c1', kind: 'comment', sha: '0'.repeat(40), branch: '', pullRequest: 7 }),
      run({ runId: 'c2', kind: 'comment', sha: '0'.repeat(40), branch: '', pullRequest: 8 }),
    ];
    const targets = [
      target({ runId: 'c1', environment: 'staging', approvalTaskToken: 't-staging' }),
      target({ runId: 'c1', environment: 'prod', approvalTaskToken: 't-prod' }),
      target({ runId: 'c2', environment: 'prod', approvalTaskToken: 't-other' }),
    ];
    const host = gitHost({ pulls: { 7: { headSha: SHA }, 8: { headSha: SHA } } });
    const result = await decideApproval(
      {
        decision: 'approve',
        via: 'github',
        repo: REPO,
        pullRequest: 7,
        environment: 'prod',
        actor: { github: 'alice' },
      },
      deps(runs, targets, host),
    );
    expect(result.targets).toEqual([{ runId: 'c1', project: 'net', environment: 'prod', outcome: 'approved' }]);
    expect(resumer.calls.map((call) => call.taskToken)).toEqual(['t-prod']);
  });

  it("does not approve other push runs of the head commit (a hotfix branch deploying prod), only this pull request's", async () => {
    const runs = [
      run({ runId: 'hotfix', kind: 'push', branch: 'hotfix', ref: 'refs/heads/hotfix', sha: SHA }),
      run({ runId: 'c1', kind: 'comment', sha: '0'.repeat(40), branch: '', pullRequest: 7 }),
    ];
    const targets = [
      target({ runId: 'hotfix', approvalTaskToken: 't-hotfix' }),
      target({ runId: 'c1', approvalTaskToken: 't-c1' }),
    ];
    const byPull = { decision: 'approve', via: 'github', repo: REPO, pullRequest: 7, actor: { github: 'alice' } };
    const result = await decideApproval(byPull, deps(runs, targets, gitHost({ pulls: { 7: { headSha: SHA } } })));
    expect(result.targets.map((t) => t.runId)).toEqual(['c1']);
    expect(resumer.calls.map((call) => call.taskToken)).toEqual(['t-c1']);
  });

  it('approves the deploy of the merge commit on the base branch, not a push of it elsewhere', async () => {
    const MERGE = 'e'.repeat(40);
    const runs = [
      run({ runId: 'deploy', kind: 'push', branch: 'main', sha: MERGE }),
      run({ runId: 'elsewhere', kind: 'push', branch: 'hotfix', ref: 'refs/heads/hotfix', sha: MERGE }),
    ];
    const targets = [
      target({ runId: 'deploy', sha: MERGE, approvalTaskToken: 't-deploy' }),
      target({ runId: 'elsewhere', sha: MERGE, approvalTaskToken: 't-elsewhere' }),
    ];
    const host = gitHost({
      branchHead: MERGE,
      pulls: { 7: { headSha: SHA, merged: true, state: 'closed', mergeCommitSha: MERGE } },
    });
    const result = await decideApproval(
      { decision: 'approve', via: 'github', repo: REPO, pullRequest: 7, actor: { github: 'alice' } },
      deps(runs, targets, host),
    );
    expect(result.targets.map((t) => t.runId)).toEqual(['deploy']);
  });

  it('says so when nothing waits', async () => {
    const result = await decideApproval(
      { decision: 'approve', via: 'github', repo: REPO, pullRequest: 7, actor: { github: 'alice' } },
      deps([run({ runId: 'r9', sha: NEWER })], [], gitHost({ pulls: { 7: {} } })),
    );
    expect(result).toEqual({ ok: false, message: 'nothing on pull request #7 is waiting for approval', targets: [] });
  });
});
