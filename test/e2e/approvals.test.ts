import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { git } from '../../local/git/local-repository.ts';
import { LOCAL_SLACK_USERS } from '../../local/local-policy.ts';
import type { DevUser } from '../../local/dev-server.ts';
import { REJECT_ACTION_ID } from '../../functions/lib/notify/slack-blocks.ts';
import type { ApprovalDecisionResult } from '../../functions/lib/approval/approval-request.ts';
import type { TargetRecord } from '../../functions/lib/store/types.ts';
import { commandRepo, deployedVersion, type CommandRepoOptions } from './support/command-repo.ts';
import { startScenario, type Scenario } from './support/dev-session.ts';
import {
  approveButton,
  pressButton,
  responseUrlReplies,
  runCli,
  slackLimitViolations,
  slackMessages,
  unlocksOf,
} from './support/outside-slack.ts';
import { pushOneRun, type WorkClone } from './support/work-clone.ts';
import { commitAs, octokitAs, people, split } from './support/people.ts';

// Approvals as people give them, driven only from outside a `pushgate dev` process: `/pushgate`
// comments on the local GitHub with each person's token, the Approve button of the local Slack's
// approval request (a signed block_actions POST to the dev's /slack/actions), and `pushgate approve`
// as a child process with the dev's exports. What happened is read where people read it (comments,
// statuses, Slack messages) and where pushgate records it (DynamoDB).

const SCENARIO_TIMEOUT_MS = 120_000;
const BOT = 'pushgate[bot]';
const ENV = 'gate';

/** Slack user ids the local policy maps to the local people (and one it does not). */
const slackIdOf = (login: string): string => {
  const id = Object.entries(LOCAL_SLACK_USERS).find(([, mapped]) => mapped === login)?.[0];
  if (!id) throw new Error(`the local policy maps no Slack user to ${login}`);
  return id;
};
const STRANGER = 'U0STRANGER';

function lockOf(session: Scenario) {
  return { repo: session.dev.info.repo, project: 'app', environment: ENV };
}

/** The target once it waits for approval (its wait has started and is recorded). */
async function waiting(session: Scenario, runId: string): Promise<TargetRecord> {
  return session.aws.waitFor(`${runId} to wait for approval`, async () => {
    const target = await session.aws.getTarget(runId, 'app', ENV);
    return target?.status === 'awaiting_approval' && target.approvalRequest ? target : undefined;
  });
}

/** The deploy run of a merge commit, once it is recorded. */
async function pushRunOf(session: Scenario, sha: string): Promise<string> {
  const run = await session.aws.waitFor(`the deploy run of ${sha.slice(0, 7)}`, async () =>
    (await session.aws.runsBySha(sha)).find((candidate) => candidate.kind === 'push'),
  );
  return run.runId;
}

/** pushgate's replies to `login` on the pull request (they start with `@login `), oldest first. */
async function repliesTo(session: Scenario, number: number, login: string): Promise<{ id: number; body: string }[]> {
  const github = octokitAs(session, people(session).alice);
  const { data } = await github.rest.issues.listComments({
    ...split(session.dev.info.repo),
    issue_number: number,
    per_page: 100,
  });
  return data
    .filter((comment) => comment.user?.login === BOT && comment.body?.startsWith(`@${login} `))
    .map((comment) => ({ id: comment.id, body: comment.body! }));
}

/**
 * `user` comments `text` on the pull request; answers pushgate's reply to it. One command per user
 * at a time: the reply is the first new one that mentions them.
 */
async function comment(session: Scenario, user: DevUser, number: number, text: string): Promise<string> {
  const seen = new Set((await repliesTo(session, number, user.login)).map((reply) => reply.id));
  await octokitAs(session, user).rest.issues.createComment({
    ...split(session.dev.info.repo),
    issue_number: number,
    body: text,
  });
  return session.aws.waitFor(
    `pushgate's reply to ${user.login}'s "${text}"`,
    async () => (await repliesTo(session, number, user.login)).find((reply) => !seen.has(reply.id))?.body,
    30_000,
  );
}

/** A repository whose `gate` environment (project `app`) deploys main. */
function repo(options: Omit<CommandRepoOptions, 'environments'> = {}): Record<string, string> {
  return commandRepo('main', { environments: [ENV], ...options });
}

/** Opens a pull request from `feature` (one commit: `files`) by `user`; answers its number. */
async function openPull(
  session: Scenario,
  clone: WorkClone,
  user: DevUser,
  files: Record<string, string>,
): Promise<number> {
  await git(clone.dir, 'checkout', '--quiet', '-b', 'feature');
  await clone.commit(files, 'the change');
  await clone.push('feature');
  const { data: pull } = await octokitAs(session, user).rest.pulls.create({
    ...split(session.dev.info.repo),
    head: 'feature',
    base: 'main',
    title: 'the change',
  });
  return pull.number;
}

/** All the local Slack's messages as text (their blocks too), once one of them matches `pattern`. */
async function slackSaid(session: Scenario, pattern: RegExp): Promise<string> {
  return session.aws.waitFor(`Slack to say ${pattern}`, async () => {
    const text = (await slackMessages(session)).map((message) => JSON.stringify(message.payload)).join('\n');
    return pattern.test(text) ? text : undefined;
  });
}

async function expectSlackWithinLimits(session: Scenario): Promise<void> {
  expect(await slackLimitViolations(session)).toEqual([]);
}

describe.concurrent('approvals, comment commands and Slack actions', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it("approve on the pull request: the pusher, the pull request's author and a reader are refused; an approver resumes the deploy; the CLI approves as the login its ARN maps to", async (context) => {
    const session = await startScenario('approve-pr', context);
    const { alice, bob, dave, carol } = people(session);
    const where = split(session.dev.info.repo);
    const clone = await session.clone();
    await commitAs(clone, bob);

    // The first deploy waits too: the CLI approves it as the caller's AWS identity (the local STS),
    // which the local policy's awsPrincipals maps to alice-admin.
    await clone.commit(repo({ approval: [ENV], approvers: ['alice-admin', 'bob-writer', 'dave-writer'] }), 'first');
    const first = await pushOneRun(clone, 'main');
    await waiting(session, first);
    const usage = await runCli(session, ['reject', first]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('reject needs a reason: pushgate reject <runId> --reason <text>');
    const cli = await runCli(session, ['approve', first, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const decided = JSON.parse(cli.stdout) as ApprovalDecisionResult;
    const arn = `arn:aws:iam::000000000000:user/local-${userInfo().username.replace(/[^\w+=,.@-]/g, '-')}`;
    expect(decided).toMatchObject({ ok: true, targets: [{ runId: first, environment: ENV, outcome: 'approved' }] });
    expect(decided.message).toContain('as alice-admin');
    const firstDone = await session.aws.finished(first);
    expect(firstDone.run.status).toBe('succeeded');
    expect(firstDone.targets[0]!.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', by: 'alice-admin', via: 'cli', awsPrincipal: arn }),
    ]);

    // dave opens a pull request and bob merges it: the merge is bob's push, and its deploy waits.
    const number = await openPull(session, clone, dave, { 'app/version': '2\n' });
    const { data: merged } = await octokitAs(session, bob).rest.pulls.merge({ ...where, pull_number: number });
    const runId = await pushRunOf(session, merged.sha);
    const target = await waiting(session, runId);
    expect(target.approvalRequest).toMatchObject({
      approvers: ['alice-admin', 'bob-writer', 'dave-writer'],
      allowSelfApproval: false,
    });
    expect((await session.aws.getRun(runId))!.actor).toBe('bob-writer');

    // The request is announced: a pending status saying how, a commit comment, a Slack message with buttons.
    const github = octokitAs(session, alice);
    const pending = await session.aws.waitFor('the pending status of the merge commit', async () => {
      const { data } = await github.rest.repos.getCombinedStatusForRef({ ...where, ref: merged.sha });
      const status = data.statuses.find((candidate) => candidate.context === `pushgate/${ENV}`);
      return status?.description?.includes('waiting for approval') ? status : undefined;
    });
    expect(pending.state).toBe('pending');
    expect(pending.description).toContain(`pushgate approve ${runId}`);
    const announced = await session.aws.waitFor('the approval commit comment', async () => {
      const { data } = await github.rest.repos.listCommentsForCommit({ ...where, commit_sha: merged.sha });
      return data.find((candidate) => candidate.body.includes(`pushgate:approval:${runId}`));
    });
    expect(announced.body).toContain('approval needed');
    expect(announced.body).toContain(ENV);
    await approveButton(session, runId, ENV);

    // Refused, each with a reply that says why; nothing resumes.
    const [self, author, reader] = await Promise.all([
      comment(session, bob, number, '/pushgate approve'),
      comment(session, dave, number, '/pushgate approve'),
      comment(session, carol, number, '/pushgate approve'),
    ]);
    expect(self).toContain(`cannot approve app/${ENV} (run ${runId})`);
    expect(self).toContain('bob-writer pushed this change and cannot approve it (approval.allowSelfApproval is off)');
    // dave wrote the change: an approver, but not of his own pull request, whoever merged it.
    expect(author).toContain(
      'dave-writer opened the pull request of this change and cannot approve it (approval.allowSelfApproval is off)',
    );
    expect(reader).toContain('you have read access');
    expect(reader).toContain('needs write access');
    const still = (await session.aws.getTarget(runId, 'app', ENV))!;
    expect(still.status).toBe('awaiting_approval');
    expect(still.approvals ?? []).toEqual([]);

    // alice approves: the deploy resumes and succeeds, and the approval is on the record and the statuses.
    const approved = await comment(session, alice, number, '/pushgate approve');
    expect(approved).toContain(`approved app/${ENV} (run ${runId}) as alice-admin`);
    const done = await session.aws.finished(runId);
    expect(done.run.status).toBe('succeeded');
    expect(done.states).toContain('WaitForApproval');
    expect(done.targets[0]!.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', by: 'alice-admin', via: 'github' }),
    ]);
    expect(await deployedVersion(session.dev.info.deployRoot, ENV)).toBe('2\n');
    const final = await session.aws.waitFor('the final status of the merge commit', async () => {
      const { data } = await github.rest.repos.getCombinedStatusForRef({ ...where, ref: merged.sha });
      return data.state === 'pending' ? undefined : data;
    });
    expect(final.state).toBe('success');
    expect(final.statuses.map((status) => status.context)).toEqual([`pushgate/${ENV}`]);
    await expectSlackWithinLimits(session);
  });

  it('reject with a reason, help and unknown commands, unlock; readers are refused', async (context) => {
    const session = await startScenario('reject-unlock', context);
    const { alice, bob, dave, carol } = people(session);
    const where = split(session.dev.info.repo);
    const clone = await session.clone();
    await commitAs(clone, bob);
    await clone.commit(repo(), 'first: no approval yet');
    await session.aws.finished(await pushOneRun(clone, 'main'));

    // The pull request turns approvals on; its merge deploys and waits, holding the lock.
    const number = await openPull(session, clone, bob, {
      ...repo({ approval: [ENV], approvers: ['alice-admin'] }),
      'app/version': '2\n',
    });
    const { data: merged } = await octokitAs(session, bob).rest.pulls.merge({ ...where, pull_number: number });
    const runId = await pushRunOf(session, merged.sha);
    await waiting(session, runId);

    // help and anything unknown get the list (from anyone); a reader may not decide.
    const [[writerHelp, unknown], [readerHelp, readerRejects]] = await Promise.all([
      (async () => [
        await comment(session, dave, number, '/pushgate help'),
        await comment(session, dave, number, '/pushgate frobnicate'),
      ])(),
      (async () => [
        await comment(session, carol, number, '/pushgate help'),
        await comment(session, carol, number, '/pushgate reject because'),
      ])(),
    ]);
    for (const reply of [writerHelp!, unknown!, readerHelp!]) {
      for (const command of ['plan', 'apply', 'approve', 'reject <reason>', 'unlock <project> <environment>', 'help'])
        expect(reply).toContain(`/pushgate ${command}`);
    }
    expect(writerHelp).toMatch(/^@dave-writer pushgate commands:/);
    expect(unknown).toMatch(/^@dave-writer that command is not one pushgate knows/);
    expect(unknown).not.toContain('frobnicate');
    expect(readerHelp).toMatch(/^@carol-reader pushgate commands:/);
    expect(readerRejects).toContain('you have read access');
    expect(readerRejects).toContain('`/pushgate reject` needs write access');
    expect((await session.aws.getTarget(runId, 'app', ENV))!.status).toBe('awaiting_approval');

    // alice rejects: the target is rejected with her reason, the run fails, the lock is released.
    const rejected = await comment(session, alice, number, '/pushgate reject not today');
    expect(rejected).toContain(`rejected app/${ENV} (run ${runId}) as alice-admin`);
    const done = await session.aws.finished(runId);
    expect(done.run.status).toBe('failed');
    const target = done.targets[0]!;
    expect(target.status).toBe('rejected');
    expect(target.reason).toContain('not today');
    expect(target.approvals).toEqual([
      expect.objectContaining({ decision: 'rejected', by: 'alice-admin', via: 'github', reason: 'not today' }),
    ]);
    expect((await session.aws.getLock(lockOf(session)))?.owner).toBeUndefined();
    expect(await deployedVersion(session.dev.info.deployRoot, ENV)).toBe('1\n');
    const slack = await slackSaid(session, /rejected by alice-admin via GitHub: not today/);
    expect(slack).toMatch(/deploy of main to gate at \w+ failed/);

    // A new push waits for approval holding the lock: a reader may not unlock it, a writer may.
    await git(clone.dir, 'fetch', '--quiet', 'pushgate', 'main');
    await git(clone.dir, 'checkout', '--quiet', '-B', 'main', 'FETCH_HEAD');
    await clone.commit({ 'app/version': '3\n' }, 'version 3');
    const held = await pushOneRun(clone, 'main');
    await waiting(session, held);
    expect((await session.aws.getLock(lockOf(session)))?.owner).toBe(held);
    const readerUnlock = await comment(session, carol, number, `/pushgate unlock app ${ENV}`);
    expect(readerUnlock).toContain('`/pushgate unlock` needs write access');
    expect((await session.aws.getLock(lockOf(session)))?.owner).toBe(held);
    const unlocked = await comment(session, dave, number, `/pushgate unlock app ${ENV}`);
    expect(unlocked).toContain(`unlocked app/${ENV} (it was held by run ${held})`);
    expect((await session.aws.getLock(lockOf(session)))?.owner).toBeUndefined();
    expect(await unlocksOf(session, { project: 'app', environment: ENV })).toEqual([
      expect.objectContaining({
        owner: held,
        by: 'dave-writer',
        reason: expect.stringMatching(new RegExp(`^unlocked from PR #${number} \\(comment \\d+\\)$`)),
      }),
    ]);
    const again = await comment(session, dave, number, `/pushgate unlock app ${ENV}`);
    expect(again).toContain(`app/${ENV} is not locked`);
    await expectSlackWithinLimits(session);
  });

  it('timeout: an approval nobody gives expires, the lock is released, GitHub and Slack say so', async (context) => {
    const session = await startScenario('approval-timeout', context);
    const { bob } = people(session);
    const where = split(session.dev.info.repo);
    const clone = await session.clone();
    await commitAs(clone, bob);
    // 0.05 minutes: three seconds.
    const sha = await clone.commit(
      repo({ approval: [ENV], approvers: ['alice-admin'], timeoutMinutes: 0.05 }),
      'first',
    );
    const runId = await pushOneRun(clone, 'main');
    await waiting(session, runId);
    const done = await session.aws.finished(runId, 30_000);
    expect(done.run.status).toBe('failed');
    const target = done.targets[0]!;
    expect(target.status).toBe('expired');
    expect(target.approvals ?? []).toEqual([]);
    expect(target.approvalTaskToken).toBeUndefined();
    expect((await session.aws.getLock(lockOf(session)))?.owner).toBeUndefined();
    expect(await deployedVersion(session.dev.info.deployRoot, ENV)).toBeUndefined();

    const github = octokitAs(session, bob);
    const { data: statuses } = await github.rest.repos.getCombinedStatusForRef({ ...where, ref: sha });
    const status = statuses.statuses.find((candidate) => candidate.context === `pushgate/${ENV}`);
    expect(status?.state).toBe('failure');
    expect(status?.description).toContain('approval expired');
    const slack = await slackSaid(session, /app\* in \*gate\*: expired/);
    expect(slack).toMatch(/deploy of main to gate at \w+ failed/);
    // Too late to approve: the wait is over.
    const cli = await runCli(session, ['approve', runId]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`run ${runId} has nothing waiting for approval (app/${ENV} expired)`);
    await expectSlackWithinLimits(session);
  });

  it('Slack: forged and replayed presses get 401; unlinked users, changed plans and superseded runs are refused; a linked approver approves', async (context) => {
    const session = await startScenario('slack-actions', context);
    const { bob } = people(session);
    const clone = await session.clone();
    await commitAs(clone, bob);
    await clone.commit(repo({ approval: [ENV], approvers: ['alice-admin'] }), 'first');
    const runId = await pushOneRun(clone, 'main');
    const before = await waiting(session, runId);
    const button = await approveButton(session, runId, ENV);
    const alice = slackIdOf('alice-admin');
    const unchanged = async () => {
      const target = (await session.aws.getTarget(runId, 'app', ENV))!;
      expect(target.status).toBe('awaiting_approval');
      expect(target.approvals ?? []).toEqual([]);
      expect(target.approvalTaskToken).toBe(before.approvalTaskToken);
    };

    // Not from Slack: a wrong signature, and a correctly signed request six minutes old.
    const forged = await pressButton(session, button, { user: alice, secret: 'not-the-signing-secret' });
    expect({ status: forged.status, body: forged.body }).toEqual({
      status: 401,
      body: { error: 'signature does not match the body' },
    });
    const replayed = await pressButton(session, button, {
      user: alice,
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect({ status: replayed.status, body: replayed.body }).toEqual({
      status: 401,
      body: { error: 'X-Slack-Request-Timestamp is more than five minutes from now' },
    });
    // Nothing is posted back to a request pushgate could not verify.
    expect(await responseUrlReplies(session, forged)).toEqual([]);
    expect(await responseUrlReplies(session, replayed)).toEqual([]);
    await unchanged();

    // From Slack, but refused: a user the policy does not link, the pusher, a plan other than the one waiting.
    const stranger = await pressButton(session, button, { user: STRANGER });
    expect(stranger.status).toBe(200);
    expect(stranger.body).toMatchObject({ response_type: 'ephemeral' });
    expect(stranger.body.text).toContain(`Slack user ${STRANGER} is not linked to a GitHub login`);
    // Slack ignores the HTTP body of a block_actions answer: the presser sees what is posted to the response_url.
    expect(await responseUrlReplies(session, stranger)).toEqual([
      expect.objectContaining({
        source: 'response_url',
        responseType: 'ephemeral',
        line: stranger.body.text,
        channel: button.message.channel,
      }),
    ]);
    const pusher = await pressButton(session, button, { user: slackIdOf('bob-writer') });
    expect(pusher.body.text).toContain('bob-writer is not an approver of gate: approvers are alice-admin');
    const value = { ...(JSON.parse(button.value) as object), planSha256: 'f'.repeat(64) };
    const stale = await pressButton(session, button, { user: alice, value: JSON.stringify(value) });
    expect(stale.body.text).toContain('the plan changed since this approval was requested');
    await unchanged();

    // alice's Slack user approves as alice-admin: the run resumes and deploys.
    const approved = await pressButton(session, button, { user: alice });
    expect(approved.status).toBe(200);
    expect(approved.body.text).toContain(`approved app/${ENV} (run ${runId}) as alice-admin`);
    const [reply, ...more] = await responseUrlReplies(session, approved);
    expect(more).toEqual([]);
    expect(reply).toMatchObject({ source: 'response_url', responseType: 'ephemeral' });
    expect(reply!.line).toContain(`approved app/${ENV} (run ${runId}) as alice-admin`);
    // replace_original false: the approval request itself is changed by pushgate's chat.update, not by the reply.
    expect(reply!.ts).not.toBe(button.message.ts);
    const done = await session.aws.finished(runId);
    expect(done.run.status).toBe('succeeded');
    expect(done.targets[0]!.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', by: 'alice-admin', via: 'slack', slackUser: alice }),
    ]);
    expect(await deployedVersion(session.dev.info.deployRoot, ENV)).toBe('1\n');
    // The request in the thread now says who decided, and when, instead of offering its buttons.
    await slackSaid(session, /Approval decided: .*app\* in \*gate\*: approved by alice-admin via Slack at \d{4}-/);
    const twice = await pressButton(session, button, { user: alice });
    expect(twice.body.text).toContain(
      `cannot approve app/${ENV} (run ${runId}): not waiting for approval (status succeeded)`,
    );

    // A run that waits while main moves on is superseded: neither approved nor rejected from its button.
    await clone.commit({ 'app/version': '2\n' }, 'version 2');
    const older = await pushOneRun(clone, 'main');
    await waiting(session, older);
    const olderButton = await approveButton(session, older, ENV);
    await clone.commit({ 'app/version': '3\n' }, 'version 3');
    await pushOneRun(clone, 'main');
    const superseded = await pressButton(session, olderButton, { user: alice });
    expect(superseded.body.text).toContain(`cannot approve app/${ENV} (run ${older}): superseded`);
    expect(superseded.body.text).toContain('approve the newer run');
    const rejectOlder = await pressButton(session, olderButton, { user: alice, actionId: REJECT_ACTION_ID });
    expect(rejectOlder.body.text).toContain('superseded');
    expect((await session.aws.getTarget(older, 'app', ENV))!.status).toBe('awaiting_approval');
    await expectSlackWithinLimits(session);
  });
});
