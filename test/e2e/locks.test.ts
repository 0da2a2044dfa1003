import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { lockKey } from '../../functions/lib/store/keys.ts';
import { SLACK_CONTROL_PATH } from '../../local/slack/start-slack.ts';
import { runCli } from './support/outside-slack.ts';
import { startScenario, type DevSession } from './support/dev-session.ts';
import { commandRepo, deployedVersion, ledgerLines } from './support/command-repo.ts';
import type { FinishedRun } from './support/outside.ts';
import { pushOneRun } from './support/work-clone.ts';

// Locks, supersede, plan integrity and a Slack outage through a `pushgate dev` process, from outside:
// git push, the AWS SDK on its endpoints, and the local Slack's control route. Only the default
// branch's pushgate.yml deploys, so each scenario has a `pushgate dev` process and a repository of
// its own and pushes `main`: they run at once without sharing a lock (or a Slack outage).

/** A scenario starts its own `pushgate dev` (several at once on a small machine), then runs. */
const SCENARIO_TIMEOUT_MS = 90_000;

async function setSlackDown({ dev }: DevSession, down: boolean): Promise<void> {
  const response = await fetch(new URL(SLACK_CONTROL_PATH, dev.info.endpoints.slack), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ down }),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ down });
}

/**
 * A run on main that a newer push overtook: skipped by Validate (main had already moved on),
 * superseded at AcquireLock by a newer run waiting for the same lock, or, when it got the lock before
 * the newest push arrived, superseded at PrepareApply because main had moved on since. It never applies.
 */
function expectOvertaken(result: FinishedRun): void {
  expect(result.execution.status).toBe('SUCCEEDED');
  expect(['skipped', 'superseded']).toContain(result.run.status);
  expect(result.states).not.toContain('Apply');
  if (result.run.status === 'skipped') {
    expect(result.targets).toEqual([]);
    expect(result.run.reason).toMatch(/^main now points to [0-9a-f]{7}, not [0-9a-f]{7}/);
  } else {
    expect(result.targets).toMatchObject([
      { status: 'superseded', reason: expect.stringMatching(/newer run|main now points to [0-9a-f]{7}/) },
    ]);
    // Superseded while waiting for the lock: it never planned. Superseded holding it: PrepareApply stopped it.
    if (result.targets[0]!.reason!.includes('newer run')) expect(result.states).not.toContain('Plan');
    else expect(result.states).toContain('PrepareApply');
  }
}

describe.concurrent('pushgate dev, driven from outside: locks and integrity', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it('a lock whose lease expired (its owner died) is taken over, and released after the deploy', async (context) => {
    const session = await startScenario('lease', context);
    const { dev, aws } = session;
    const key = { repo: dev.info.repo, project: 'app', environment: 'lease-staging' };
    const now = Date.now();
    await aws.putItem({
      ...lockKey(key),
      entity: 'lock',
      ...key,
      owner: 'dead-run',
      acquiredAt: new Date(now - 2 * 3_600_000).toISOString(),
      leaseExpiresAt: new Date(now - 3_600_000).toISOString(),
      expiresAt: Math.floor(now / 1000) + 86_400,
    });
    expect(await aws.getLock(key)).toMatchObject({ owner: 'dead-run' });

    const repo = await session.clone();
    await repo.commit(commandRepo('main', { environments: ['lease-staging'] }), 'first');
    const result = await aws.finished(await pushOneRun(repo, 'main'));

    expect(result.run.status).toBe('succeeded');
    const acquired = result.history.find((event) => event.stateExitedEventDetails?.name === 'AcquireLock');
    expect(JSON.parse(acquired!.stateExitedEventDetails!.output!).lock).toMatchObject({
      locked: true,
      tookOverFrom: 'dead-run',
    });
    const lock = await aws.getLock(key);
    expect(lock?.owner).toBeUndefined();
    expect(lock?.lastOwner).toBe(result.run.runId);
    expect(await deployedVersion(dev.info.deployRoot, 'lease-staging')).toBe('1\n');
  });

  it('supersede: a newer run ends the waiting older one as superseded, and only the newest is applied after', async (context) => {
    const session = await startScenario('sup', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    await repo.commit(
      {
        ...commandRepo('main', { environments: ['sup-staging'], concurrency: 'supersede' }),
        // The first plan holds the lock long enough for the two newer runs to queue behind it.
        'app/slow-plan': '',
      },
      'v1',
    );
    const one = await pushOneRun(repo, 'main');
    // Main moves on only once the first run holds the lock (its target runs from AcquireLock on):
    // validated at v1, it is in its slow plan while v2 and v3 are pushed.
    await aws.waitFor('the first run to hold the lock', async () =>
      (await aws.getTarget(one, 'app', 'sup-staging'))?.status === 'running' ? true : undefined,
    );
    await repo.commit({ 'app/version': '2\n' }, 'v2');
    const two = await pushOneRun(repo, 'main');
    const threeSha = await repo.commit({ 'app/version': '3\n' }, 'v3');
    const three = await pushOneRun(repo, 'main');
    const [r1, r2, r3] = await Promise.all([one, two, three].map((runId) => aws.finished(runId, 55_000)));

    // The first run validated and locked at v1, so it cannot be skipped; its plan outlasts the two
    // pushes, and PrepareApply finds main at v3: superseded, never applied.
    expect(r1!.execution.status).toBe('SUCCEEDED');
    expect(r1!.run.status).toBe('superseded');
    expect(r1!.targets).toMatchObject([
      { status: 'superseded', reason: expect.stringMatching(/main now points to [0-9a-f]{7}, not [0-9a-f]{7}/) },
    ]);
    expect(r1!.states).toEqual(expect.arrayContaining(['Plan', 'PrepareApply']));
    expect(r1!.states).not.toContain('Apply');
    // The middle run never applies, whichever way it ends (see expectOvertaken): the first run may
    // already have been superseded at v2's push and handed it the lock before v3 arrived.
    expectOvertaken(r2!);
    expect(r3!.run.status).toBe('succeeded');
    // Only the newest commit was applied, once, with no other apply around it.
    expect(await ledgerLines(dev.info.deployRoot, 'sup-staging')).toEqual(['begin 3', 'end 3']);
    expect(await aws.getCurrent('sup-staging', 'app')).toMatchObject({ sha: threeSha, runId: three });
    expect(await aws.listDeployments('sup-staging')).toMatchObject([{ sha: threeSha, runId: three }]);
    expect(await deployedVersion(dev.info.deployRoot, 'sup-staging')).toBe('3\n');
    expect((await aws.getLock({ repo: dev.info.repo, project: 'app', environment: 'sup-staging' }))?.owner).toBe(
      undefined,
    );
  });

  it('a plan artifact changed after review is refused by Apply: the run fails and nothing is applied', async (context) => {
    const session = await startScenario('tamper', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    await repo.commit(
      commandRepo('main', {
        environments: ['tamper-staging'],
        approval: ['tamper-staging'],
        approvers: ['alice-admin'],
      }),
      'needs approval',
    );
    const runId = await pushOneRun(repo, 'main');
    const waiting = await aws.waitFor('the target to wait for approval', async () => {
      const target = await aws.getTarget(runId, 'app', 'tamper-staging');
      return target?.status === 'awaiting_approval' && target.approvalTaskToken ? target : undefined;
    });
    expect(waiting.planArtifactKey).toMatch(/plan\.bin$/);
    expect((await aws.getLock({ repo: dev.info.repo, project: 'app', environment: 'tamper-staging' }))?.owner).toBe(
      runId,
    );

    const bucket = dev.info.bucket;
    await aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: waiting.planArtifactKey }));
    await aws.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: waiting.planArtifactKey, Body: '99 – not the reviewed plan\n' }),
    );
    // Approved the way people do it (the CLI, as the local admin): the approval function resumes the run.
    const approved = await runCli(session, ['approve', runId]);
    expect(approved.code, approved.stderr).toBe(0);
    const result = await aws.finished(runId);

    expect(result.states).toEqual(expect.arrayContaining(['WaitForApproval', 'Apply', 'TargetFailed']));
    expect(result.execution.status).toBe('FAILED');
    expect(result.run.status).toBe('failed');
    expect(result.targets).toHaveLength(1);
    // The apply build stopped at its sha256 check, before the apply command could run.
    expect(result.targets[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('apply') });
    expect(result.targets[0]!.reason).toContain('PUSHGATE_PLAN_SHA256');
    expect(await ledgerLines(dev.info.deployRoot, 'tamper-staging')).toEqual([]);
    expect(await deployedVersion(dev.info.deployRoot, 'tamper-staging')).toBeUndefined();
    expect(await aws.getCurrent('tamper-staging', 'app')).toBeUndefined();
    expect((await aws.getLock({ repo: dev.info.repo, project: 'app', environment: 'tamper-staging' }))?.owner).toBe(
      undefined,
    );
  });

  it('Slack down: the run still succeeds, and the failed notification is on the run record', async (context) => {
    const session = await startScenario('slackdown', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    await repo.commit(commandRepo('main', { environments: ['slackdown-staging'] }), 'first');
    await setSlackDown(session, true);
    try {
      const result = await aws.finished(await pushOneRun(repo, 'main'));
      expect(result.execution.status).toBe('SUCCEEDED');
      expect(result.run.status).toBe('succeeded');
      expect(result.run.notifications?.slack).toMatchObject({ ok: false, attempts: 3 });
      expect(await deployedVersion(dev.info.deployRoot, 'slackdown-staging')).toBe('1\n');
    } finally {
      await setSlackDown(session, false);
    }
  });
});
