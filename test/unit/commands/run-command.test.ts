import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandRequest } from '../../../functions/lib/commands/command-request.ts';
import { runCommand, type RunCommandDeps } from '../../../functions/lib/commands/run-command.ts';
import type { IssueComment, RepoPermission } from '../../../functions/lib/git/git-host.ts';
import type { Status } from '../../../functions/lib/status.ts';
import type { UnlockRecord } from '../../../functions/lib/store/types.ts';
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
let unlockRecords: UnlockRecord[];
let permissions: Record<string, RepoPermission>;
/** The comments GitHub has, by id: what the commands function reads back. */
let onGitHub: Map<number, IssueComment>;
/** Who holds which lock (project/environment → run), and the holders' target statuses. */
let locks: Map<string, string>;
let holderStatus: Status;
let failReplies: boolean;

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
        const id = `${key.project}/${key.environment}`;
        const owner = locks.get(id);
        if (owner === undefined) return { released: false };
        locks.delete(id);
        unlockRecords.unshift({ ...key, owner, ...who, at: T0.toISOString() });
        return { released: true, owner };
      },
      async getLock(key) {
        const owner = locks.get(`${key.project}/${key.environment}`);
        return owner === undefined
          ? undefined
          : { ...key, owner, acquiredAt: T0.toISOString(), leaseExpiresAt: T0.toISOString() };
      },
      async listUnlocks(key) {
        return unlockRecords.filter((u) => u.project === key.project && u.environment === key.environment);
      },
      async getTarget(runId, project, environment) {
        return target({ runId, project, environment, status: holderStatus });
      },
    },
    gitHost: {
      ...gitHost({ pulls: { 7: { headSha: SHA } } }),
      async getPermission(_repo, login) {
        return permissions[login] ?? 'none';
      },
      async createComment(repo, number, body) {
        if (failReplies) throw new Error('GitHub answered 502');
        comments.push({ repo, number, body });
        return { id: comments.length };
      },
      async getIssueComment(repo, id) {
        return repo === REPO ? onGitHub.get(id) : undefined;
      },
    },
    tasks: resumer,
    policy: async () => ({ slackUsers: {} }),
    now: () => T0,
  };
}

let nextCommentId = 99;

/** `author` comments `/pushgate <text>` on pull request 7 (GitHub has it), and the event the intake makes of it. */
function command(text: string, author = 'alice'): CommandRequest {
  const [name, ...args] = text.split(' ');
  const commentId = nextCommentId++;
  onGitHub.set(commentId, {
    id: commentId,
    body: `/pushgate ${text}`,
    login: author,
    issueUrl: `https://api.github.com/repos/${REPO}/issues/7`,
  });
  return {
    commandId: `cmd${commentId}`,
    deliveryId: 'd1',
    repo: REPO,
    pullRequest: 7,
    commentId,
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
  onGitHub = new Map();
  locks = new Map([['net/prod', 'r-holder']]);
  unlockRecords = [];
  holderStatus = 'awaiting_approval';
  failReplies = false;
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
      {
        key: { repo: REPO, project: 'net', environment: 'prod' },
        // The holder it checked (not applying) is the only one it may release.
        who: {
          by: 'alice',
          reason: expect.stringMatching(/^unlocked from PR #7 \(comment \d+\)$/),
          owner: 'r-holder',
        },
      },
    ]);
    expect(comments[0]!.body).toMatch(/^@alice unlocked net\/prod \(it was held by run r-holder\)/);
  });

  it('answers an unknown command with the list of commands, whoever asks', async () => {
    const result = await runCommand(command('frobnicate', 'reader'), deps());
    expect(result.outcome).toBe('help');
    const body = comments[0]!.body;
    expect(body).toMatch(/^@reader that command is not one pushgate knows\. pushgate commands:/);
    expect(body).not.toContain('frobnicate');
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

  it('does not echo an unknown command: no mention or link written as pushgate', async () => {
    const request = command('@octo/everyone');
    // The intake lower-cases the command word; GitHub's body is what counts.
    await runCommand(request, deps());
    expect(comments[0]!.body).not.toContain('@octo/everyone');
    const link = command('[click](https://evil.example/login)');
    await runCommand(link, deps());
    expect(comments[1]!.body).not.toContain('evil.example');
  });

  it('does not echo unlock arguments that are not project or environment names', async () => {
    await runCommand(command('unlock @octo/everyone [x](https://evil.example)'), deps());
    expect(comments[0]!.body).toBe('@alice usage: `/pushgate unlock <project> <environment>`.');
    expect(unlocks).toEqual([]);
  });

  it('neutralises team mentions in replies (the approvers list names @octo/platform)', async () => {
    await runCommand(command('approve', 'pusher'), deps());
    expect(comments[0]!.body).toContain('approvers are alice, @\u200Bocto/platform');
  });
});

describe('comment commands: the event is not believed, GitHub is', () => {
  it('approves as the author GitHub names, never as the event says', async () => {
    // mallory (write access, not an approver) invokes the commands function directly, naming alice.
    const forged = command('approve', 'mallory');
    permissions.mallory = 'write';
    const result = await runCommand({ ...forged, author: 'alice' }, deps());
    expect(result.outcome).toBe('ignored');
    expect(resumer.calls).toEqual([]);
    expect(comments).toEqual([]);
  });

  it('refuses a comment that does not exist', async () => {
    const forged = { ...command('approve'), commentId: 12345 };
    const result = await runCommand(forged, deps());
    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('12345') });
    expect(resumer.calls).toEqual([]);
    expect(comments).toEqual([]);
  });

  it('refuses a comment of another pull request', async () => {
    const request = command('approve');
    onGitHub.get(request.commentId)!.issueUrl = `https://api.github.com/repos/${REPO}/issues/8`;
    const result = await runCommand(request, deps());
    expect(result.outcome).toBe('ignored');
    expect(resumer.calls).toEqual([]);
  });

  it('refuses a comment of another repository with the same number', async () => {
    const request = command('approve');
    onGitHub.get(request.commentId)!.issueUrl = 'https://api.github.com/repos/octo/other/issues/7';
    expect((await runCommand(request, deps())).outcome).toBe('ignored');
    expect(resumer.calls).toEqual([]);
  });

  it('refuses a command the comment does not give', async () => {
    const request = command('help');
    const result = await runCommand({ ...request, command: 'unlock', args: ['net', 'prod'] }, deps());
    expect(result.outcome).toBe('ignored');
    expect(unlocks).toEqual([]);
  });

  it("takes the arguments from GitHub's body", async () => {
    const request = command('approve net prod');
    await runCommand({ ...request, args: ['net', 'staging'] }, deps());
    expect(comments[0]!.body).toBe('@alice approved net/prod (run c1) as alice');
  });
});

describe('comment commands: unlock safely', () => {
  it('refuses to unlock while the holder is applying', async () => {
    holderStatus = 'applying';
    const result = await runCommand(command('unlock net prod'), deps());
    expect(result.outcome).toBe('refused');
    expect(comments[0]!.body).toBe(
      '@alice net/prod is held by run r-holder, which is applying: wait for the apply to end or stop the execution.',
    );
    expect(unlocks).toEqual([]);
  });

  it('does not throw when the reply fails after the unlock (no retry unlocks again)', async () => {
    failReplies = true;
    const result = await runCommand(command('unlock net prod'), deps());
    expect(result).toMatchObject({ outcome: 'done', replyError: 'GitHub answered 502' });
    expect(locks.has('net/prod')).toBe(false);
  });

  it('a repeated command (the same comment) does not unlock the next holder', async () => {
    const request = command('unlock net prod');
    await runCommand(request, deps());
    locks.set('net/prod', 'r-next');
    const again = await runCommand(request, deps());
    expect(again.outcome).toBe('done');
    expect(locks.get('net/prod')).toBe('r-next');
    expect(unlocks).toHaveLength(1);
    expect(comments[1]!.body).toBe('@alice this comment already unlocked net/prod (it was held by run r-holder).');
  });
});
