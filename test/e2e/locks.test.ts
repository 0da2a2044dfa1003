import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { lockKey } from '../../functions/lib/store/keys.ts';
import { SLACK_CONTROL_PATH } from '../../local/slack/start-slack.ts';
import type { DevProcess } from '../helpers/dev-process.ts';
import { useDevSession } from './support/dev-session.ts';
import { commandRepo, deployedVersion, ledgerLines } from './support/command-repo.ts';
import type { Outside } from './support/outside.ts';
import { pushOneRun, workClone, type WorkClone } from './support/work-clone.ts';

// Locks, supersede, plan integrity and a Slack outage through a `pushgate dev` process, from outside:
// git push, the AWS SDK on its endpoints, and the local Slack's control route. Each scenario has its
// own branch and environments, so they run at once without sharing a lock.

let dev: DevProcess;
let aws: Outside;
let root: string;
useDevSession('locks', (session) => ({ dev, aws, root } = session));

async function clone(name: string): Promise<WorkClone> {
  return workClone(join(root, name), dev.info.remote);
}

async function setSlackDown(down: boolean): Promise<void> {
  const response = await fetch(new URL(SLACK_CONTROL_PATH, dev.info.endpoints.slack), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ down }),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ down });
}

describe.concurrent('pushgate dev, driven from outside: locks and integrity', () => {
  it('a lock whose lease expired (its owner died) is taken over, and released after the deploy', async () => {
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

    const repo = await clone('lease');
    await repo.commit(commandRepo('lease', { environments: ['lease-staging'] }), 'first');
    const result = await aws.finished(await pushOneRun(repo, 'lease'));

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

  it('supersede: a newer run ends the waiting older one as superseded, and only the newest is applied after', async () => {
    const repo = await clone('sup');
    await repo.commit(
      {
        ...commandRepo('sup', { environments: ['sup-staging'], concurrency: 'supersede' }),
        // The first plan holds the lock long enough for the two newer runs to queue behind it.
        'app/slow-plan': '',
      },
      'v1',
    );
    const one = await pushOneRun(repo, 'sup');
    await repo.commit({ 'app/version': '2\n' }, 'v2');
    const two = await pushOneRun(repo, 'sup');
    const threeSha = await repo.commit({ 'app/version': '3\n' }, 'v3');
    const three = await pushOneRun(repo, 'sup');
    const [r1, r2, r3] = await Promise.all([one, two, three].map((runId) => aws.finished(runId)));

    expect(r1!.run.status).toBe('succeeded');
    expect(r2!.run.status).toBe('superseded');
    expect(r2!.targets).toMatchObject([{ status: 'superseded', reason: expect.stringContaining('newer run') }]);
    expect(r2!.execution.status).toBe('SUCCEEDED');
    expect(r2!.states).not.toContain('Plan');
    expect(r3!.run.status).toBe('succeeded');
    expect(await ledgerLines(dev.info.deployRoot, 'sup-staging')).toEqual(['begin 1', 'end 1', 'begin 3', 'end 3']);
    expect(await aws.getCurrent('sup-staging', 'app')).toMatchObject({ sha: threeSha, runId: three });
    expect(await deployedVersion(dev.info.deployRoot, 'sup-staging')).toBe('3\n');
  });

  it('a plan artifact changed after review is refused by Apply: the run fails and nothing is applied', async () => {
    const repo = await clone('tamper');
    await repo.commit(
      commandRepo('tamper', { environments: ['tamper-staging'], approval: ['tamper-staging'] }),
      'needs approval',
    );
    const runId = await pushOneRun(repo, 'tamper');
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
    await aws.sfn.send(
      new SendTaskSuccessCommand({
        taskToken: waiting.approvalTaskToken!,
        output: JSON.stringify({ approvedBy: 'octocat' }),
      }),
    );
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

  it('Slack down: the run still succeeds, and the failed notification is on the run record', async () => {
    const repo = await clone('slackdown');
    await repo.commit(commandRepo('slackdown', { environments: ['slackdown-staging'] }), 'first');
    await setSlackDown(true);
    try {
      const result = await aws.finished(await pushOneRun(repo, 'slackdown'));
      expect(result.execution.status).toBe('SUCCEEDED');
      expect(result.run.status).toBe('succeeded');
      expect(result.run.notifications?.slack).toMatchObject({ ok: false, attempts: 3 });
      expect(await deployedVersion(dev.info.deployRoot, 'slackdown-staging')).toBe('1\n');
    } finally {
      await setSlackDown(false);
    }
  });
});
