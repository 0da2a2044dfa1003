import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandRequest } from '../../../functions/lib/commands/command-request.ts';
import { runCommand, type RunCommandDeps } from '../../../functions/lib/commands/run-command.ts';
import type { RepoPermission } from '../../../functions/lib/git/git-host.ts';
import {
  gitHost,
  memoryApprovalStore,
  recordingResumer,
  REPO,
  run,
  SHA,
  T0,
  target,
} from '../approval/approval-doubles.ts';

// The TaskResumer is a recording double (approval-doubles.ts): nothing is resumed, calls are kept.
let resumer: ReturnType<typeof recordingResumer>;
let comments: { repo: string; number: number; body: string }[];
let unlocks: { key: unknown; who: unknown }[];
let permissions: Record<string, RepoPermission>;

function deps(): RunCommandDeps {
  const store = memoryApprovalStore(
    [run({ runId: 'c1', kind: 'comment', sha: '0'.repeat(40), branch: '', pullRequest: 7 })],
    [target({ runId: 'c1' })],
  );
  return {
    store: {
      ...store,
      async forceUnlock(key, who) {
        unlocks.push({ key, who });
        return { released: true, owner: 'r-holder' };
      },
    },
    gitHost: {
      ...gitHost({ pulls: { 7: { headSha: SHA } } }),
      async getPermission(_repo, login) {
        return permissions[login] ?? 'none';
      },
      async createComment(repo, number, body) {
        comments.push({ repo, number, body });
        return { id: comments.length };
      },
    },
    tasks: resumer,
    policy: async () => ({ slackUsers: {} }),
    now: () => T0,
  };
}

function command(text: string, author = 'alice'): CommandRequest {
  const [name, ...args] = text.split(' ');
  return {
    commandId: 'cmd1',
    deliveryId: 'd1',
    repo: REPO,
    pullRequest: 7,
    commentId: 99,
    command: name!,
    args,
    author,
    receivedAt: T0.toISOString(),
  };
}

beforeEach(() => {
  resumer = recordingResumer();
  comments = [];
  unlocks = [];
  permissions = { alice: 'write', reader: 'read', pusher: 'admin' };
});

describe('comment commands', () => {
  it("refuses a reader's /pushgate approve with a reply, and resumes nothing", async () => {
    const result = await runCommand(command('approve', 'reader'), deps());
    expect(result.outcome).toBe('refused');
    expect(comments).toEqual([
      {
        repo: REPO,
        number: 7,
        body: '@reader you have read access to octo/infra: `/pushgate approve` needs write access.',
      },
    ]);
    expect(resumer.calls).toEqual([]);
  });

  it('approves what waits on the pull request and says so', async () => {
    const result = await runCommand(command('approve net prod'), deps());
    expect(result.outcome).toBe('done');
    expect(comments[0]!.body).toBe('@alice approved net/prod (run c1) as alice');
    expect(resumer.calls).toHaveLength(1);
  });

  it('needs a reason to reject', async () => {
    await runCommand(command('reject'), deps());
    expect(comments[0]!.body).toBe('@alice a rejection needs a reason: `/pushgate reject <reason>`.');
    expect(resumer.calls).toEqual([]);
  });

  it('rejects with the reason', async () => {
    await runCommand(command('reject wrong region'), deps());
    expect(resumer.calls[0]).toMatchObject({
      method: 'fail',
      error: 'ApprovalRejected',
      cause: 'rejected by alice: wrong region',
    });
  });

  it('unlocks a lock, recording who and why', async () => {
    const result = await runCommand(command('unlock net prod'), deps());
    expect(result.outcome).toBe('done');
    expect(unlocks).toEqual([
      { key: { repo: REPO, project: 'net', environment: 'prod' }, who: { by: 'alice', reason: 'unlocked from PR #7' } },
    ]);
    expect(comments[0]!.body).toMatch(/^@alice unlocked net\/prod \(it was held by run r-holder\)/);
  });

  it('answers an unknown command with the list of commands, whoever asks', async () => {
    const result = await runCommand(command('frobnicate', 'reader'), deps());
    expect(result.outcome).toBe('help');
    const body = comments[0]!.body;
    expect(body).toMatch(/^@reader `\/pushgate frobnicate` is not a command/);
    for (const line of [
      'plan',
      'apply',
      'approve [project] [environment]',
      'reject <reason>',
      'unlock <project> <environment>',
      'help',
    ]) {
      expect(body).toContain(`\`/pushgate ${line}\``);
    }
  });
});
