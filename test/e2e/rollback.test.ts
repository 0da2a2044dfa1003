import { describe, expect, it } from 'vitest';
import { commandRepo, deployedVersion } from './support/command-repo.ts';
import { useDevSession, type DevSession } from './support/dev-session.ts';
import { runCli } from './support/outside-slack.ts';
import { pushOneRun, workClone, type WorkClone } from './support/work-clone.ts';

// `pushgate rollback` against one `pushgate dev` process, from outside: two real deploys by git push,
// then the CLI (as the local STS's caller, whom the local policy maps to alice-admin) starts a run of
// the earlier commit through the workflow and follows it; the deployed files change back.

let session: DevSession;
let clone: WorkClone;
useDevSession('rollback', (started) => (session = started));

describe('pushgate rollback', { timeout: 180_000 }, () => {
  it('restores the previous deployment of staging through a rollback run, and refuses bad input', async () => {
    clone = await workClone(`${session.root}/work`, session.dev.info.remote);
    const { deployRoot } = session.dev.info;
    await clone.commit(commandRepo('main', { environments: ['staging'], projects: ['app'] }), 'v1');
    const first = await pushOneRun(clone, 'main');
    expect((await session.aws.finished(first, 60_000)).run.status).toBe('succeeded');
    const v1 = (await session.aws.getRun(first))!.sha;
    await clone.commit({ 'app/version': '2\n' }, 'v2');
    const second = await pushOneRun(clone, 'main');
    expect((await session.aws.finished(second, 60_000)).run.status).toBe('succeeded');
    const v2 = (await session.aws.getRun(second))!.sha;
    expect(await deployedVersion(deployRoot, 'staging')).toBe('2\n');

    const rolled = await runCli(session, ['rollback', '--env', 'staging', '--json']);
    expect(rolled.code, rolled.stderr).toBe(0);
    const result = JSON.parse(rolled.stdout) as { runId: string; status: string };
    expect(result.status).toBe('succeeded');
    // What goes back, then the run's progress (on stderr with --json).
    expect(rolled.stderr).toContain(`app  ${v2.slice(0, 7)} → ${v1.slice(0, 7)}`);
    expect(rolled.stderr).toMatch(/app\/staging {2}succeeded/);
    expect(await deployedVersion(deployRoot, 'staging')).toBe('1\n');

    const run = await session.aws.getRun(result.runId);
    expect(run).toMatchObject({ kind: 'rollback', actor: 'alice-admin', sha: v1, status: 'succeeded' });
    const runs = await runCli(session, ['runs', '--json']);
    expect(runs.code, runs.stderr).toBe(0);
    const listed = (JSON.parse(runs.stdout) as { runs: { runId: string; trigger: string }[] }).runs;
    expect(listed[0]).toMatchObject({ runId: result.runId, trigger: 'rollback' });

    // Going back again is the deployment before the current one: v2, named here with --to.
    const forward = await runCli(session, ['rollback', '--env', 'staging', '--to', v2.slice(0, 7)]);
    expect(forward.code, forward.stderr).toBe(0);
    expect(forward.stdout).toMatch(/^run succeeded/m);
    expect(await deployedVersion(deployRoot, 'staging')).toBe('2\n');

    const never = await runCli(session, ['rollback', '--env', 'staging', '--to', 'abcdef0']);
    expect(never.code).toBe(2);
    expect(never.stderr).toContain('abcdef0 was never deployed successfully to staging');
    expect(never.stderr).toContain('usage: pushgate rollback');
    const unknownEnv = await runCli(session, ['rollback', '--env', 'prod']);
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stderr).toContain('was ever deployed to prod');
    const badFlag = await runCli(session, ['rollback', '--env', 'staging', '--to', 'HEAD~1']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('usage: pushgate rollback');
    const noEnv = await runCli(session, ['rollback']);
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toContain('usage: pushgate rollback');
  });

  it('waits for the approval the environment requires, like any deploy; --no-follow returns at once', async () => {
    // The first test's clone (its history is the remote's).
    const { deployRoot } = session.dev.info;
    // staging now needs an approval (the CLI's caller, alice-admin, may give it, also for her own runs).
    const approvalRepo = commandRepo('main', {
      environments: ['staging'],
      projects: ['app'],
      approval: ['staging'],
      approvers: ['alice-admin'],
      allowSelfApproval: true,
    });
    await clone.commit({ ...approvalRepo, 'app/version': '3\n' }, 'v3 with an approval');
    const third = await pushOneRun(clone, 'main');
    await session.aws.waitFor('v3 to wait for approval', async () =>
      (await session.aws.getTarget(third, 'app', 'staging'))?.status === 'awaiting_approval' ? true : undefined,
    );
    expect((await runCli(session, ['approve', third])).code).toBe(0);
    expect((await session.aws.finished(third, 60_000)).run.status).toBe('succeeded');
    expect(await deployedVersion(deployRoot, 'staging')).toBe('3\n');

    const started = await runCli(session, ['rollback', '--env', 'staging', '--no-follow', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { runId, status } = JSON.parse(started.stdout) as { runId: string; status: string };
    expect(status).toBe('queued');
    // The rollback plans, then waits for staging's approver as configured on the default branch.
    await session.aws.waitFor('the rollback to wait for approval', async () =>
      (await session.aws.getTarget(runId, 'app', 'staging'))?.status === 'awaiting_approval' ? true : undefined,
    );
    expect(await deployedVersion(deployRoot, 'staging')).toBe('3\n');
    const approved = await runCli(session, ['approve', runId, '--json']);
    expect(approved.code, approved.stderr).toBe(0);
    const done = await session.aws.finished(runId, 60_000);
    expect(done.run).toMatchObject({ kind: 'rollback', status: 'succeeded', actor: 'alice-admin' });
    expect(done.targets[0]!.approvals).toEqual([expect.objectContaining({ decision: 'approved', by: 'alice-admin' })]);
    expect(await deployedVersion(deployRoot, 'staging')).toBe('2\n');
  });
});
