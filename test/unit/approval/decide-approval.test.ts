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

  it('puts the token back when Step Functions cannot be reached', async () => {
    resumer.failWith = new Error('socket hang up');
    const result = await decideApproval(approve('alice'), deps());
    expect(result.targets[0]!.reason).toBe('could not resume the run (socket hang up): try again');
    expect(store.targets[0]!.approvalTaskToken).toBe('token-r1-net-prod');
    expect(store.targets[0]!.approvals).toEqual([]);
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

  it('CLI: any caller when the approvers name no ARN; only a listed ARN when they do', async () => {
    const cli = (arn: string) => ({ decision: 'approve', via: 'cli', runId: 'r1', actor: { aws: arn } });
    expect((await decideApproval(cli('arn:aws:iam::111111111111:user/ops'), deps())).ok).toBe(true);
    const listed = target({
      approvalRequest: { ...target().approvalRequest!, approvers: ['alice', 'arn:aws:iam::111111111111:role/release'] },
    });
    const refused = await decideApproval(cli('arn:aws:iam::111111111111:user/ops'), deps([run()], [listed]));
    expect(refused.targets[0]!.reason).toMatch(/^arn:aws:iam::111111111111:user\/ops is not an approver of prod/);
    const ok = await decideApproval(cli('arn:aws:iam::111111111111:role/release'), deps([run()], [{ ...listed }]));
    expect(ok.ok).toBe(true);
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

  it('says so when nothing waits', async () => {
    const result = await decideApproval(
      { decision: 'approve', via: 'github', repo: REPO, pullRequest: 7, actor: { github: 'alice' } },
      deps([run({ runId: 'r9', sha: NEWER })], [], gitHost({ pulls: { 7: {} } })),
    );
    expect(result).toEqual({ ok: false, message: 'nothing on pull request #7 is waiting for approval', targets: [] });
  });
});
