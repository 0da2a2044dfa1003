import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveRecorded } from '../../helpers/approve-recorded.ts';
import { startHarness, terraformConfig, type Harness } from '../../helpers/stack-harness.ts';
import { ANY_BRANCH_POLICY } from '../../helpers/policy.ts';

// Locks, queueing, supersede, lease takeover and plan integrity through the real state machine on the
// local stack. Retry intervals are scaled down (timeScale) rather than skipped, so a waiting run
// polls the lock the way it would on AWS, only faster.

let h: Harness;
beforeAll(async () => {
  // Any branch may deploy (the queue test deploys main and release to one environment).
  h = await startHarness({ fastRetries: false, timeScale: 0.01, policy: ANY_BRANCH_POLICY });
});
afterAll(async () => h?.stop());

/**
 * A `command` project whose plan holds the lock for a while (4 s: longer than the next pushes take to
 * reach AcquireLock through Validate and their child execution on a loaded machine) and writes
 * begin/end lines to a ledger.
 */
function slowConfig(concurrency: 'queue' | 'supersede', ledger: string): string {
  return `version: 1
environments:
  staging: { branch: main }
projects:
  - name: app
    dir: app
    engine: command
    environments: [staging]
    command:
      plan: echo "begin $(cat version)" >> "$PUSHGATE_DEPLOY_ROOT/${ledger}"; sleep 4; cp version plan.out
      planFile: plan.out
      apply: echo "end $(cat "$PUSHGATE_PLAN_FILE")" >> "$PUSHGATE_DEPLOY_ROOT/${ledger}"
concurrency: ${concurrency}
`;
}

async function ledger(name: string): Promise<string[]> {
  return (await readFile(join(h.root, 'deployed', name), 'utf8')).trim().split('\n');
}

/** Waits until a run's plan has written `line` (so that it validated and holds the lock). */
async function ledgerHas(name: string, line: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await ledger(name).catch((): string[] => [])).includes(line)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${name} never got "${line}"`);
}

describe('locks and concurrency', () => {
  it('queue: runs of two branches on one target are serialised, in push order, and both recorded', async () => {
    // staging deploys from main and from release: two heads, so both runs apply, one after the other.
    const repo = await h.repository('queued', {
      'pushgate.yml': slowConfig('queue', 'queued.log').replace('branch: main', 'branch: [main, release]'),
      'app/version': '1\n',
    });
    const first = await repo.push({}, 'v1');
    const second = await repo.push({ 'app/version': '2\n' }, 'v2', 'release');
    const [a, b] = await Promise.all([repo.finished(first.runIds[0]!), repo.finished(second.runIds[0]!)]);
    expect(a.run.status).toBe('succeeded');
    expect(b.run.status).toBe('succeeded');
    // Never interleaved: each run's plan and apply happen while it alone holds the lock.
    expect(await ledger('queued.log')).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2']);
    // The second run really waited for the lock: parked in WaitForLock until the first handed it over.
    expect(b.states).toContain('WaitForLock');
    expect(await h.store.getCurrent('local/queued', 'staging')).toMatchObject([{ sha: second.sha }]);
    expect(await h.store.getLock({ repo: 'local/queued', project: 'app', environment: 'staging' })).toBeUndefined();
  });

  it('queue: a run whose branch moved on while it planned never applies; the newer run waits, then applies', async () => {
    const repo = await h.repository('movedon', {
      'pushgate.yml': slowConfig('queue', 'movedon.log'),
      'app/version': '1\n',
    });
    const first = await repo.push({}, 'v1');
    await ledgerHas('movedon.log', 'begin 1');
    const second = await repo.push({ 'app/version': '2\n' }, 'v2');
    const [a, b] = await Promise.all([repo.finished(first.runIds[0]!), repo.finished(second.runIds[0]!)]);
    expect(a.run.status).toBe('superseded');
    expect(a.targets[0]).toMatchObject({
      status: 'superseded',
      reason: expect.stringContaining(`main now points to ${second.sha.slice(0, 7)}`),
    });
    expect(a.states).not.toContain('Apply');
    expect(b.run.status).toBe('succeeded');
    expect(await ledger('movedon.log')).toEqual(['begin 1', 'begin 2', 'end 2']);
    expect(await h.store.getCurrent('local/movedon', 'staging')).toMatchObject([{ sha: second.sha }]);
  });

  it('supersede: a newer run ends the waiting older ones, and only the newest commit applies', async () => {
    const repo = await h.repository('superseded', {
      'pushgate.yml': slowConfig('supersede', 'sup.log'),
      'app/version': '1\n',
    });
    const one = await repo.push({}, 'v1');
    await ledgerHas('sup.log', 'begin 1');
    const two = await repo.push({ 'app/version': '2\n' }, 'v2');
    const three = await repo.push({ 'app/version': '3\n' }, 'v3');
    const [r1, r2, r3] = await Promise.all([one, two, three].map((p) => repo.finished(p.runIds[0]!)));
    // v1 planned, but main had moved on by the time it would apply.
    expect(r1!.run.status).toBe('superseded');
    // v2 either saw v3 at Validate or was waiting when v3 arrived: it never planned.
    expect(['superseded', 'skipped']).toContain(r2!.run.status);
    expect(r2!.execution.status).toBe('SUCCEEDED');
    expect(r3!.run.status).toBe('succeeded');
    expect(await ledger('sup.log')).toEqual(['begin 1', 'begin 3', 'end 3']);
    expect(await h.store.getCurrent('local/superseded', 'staging')).toMatchObject([{ sha: three.sha }]);
  });

  it('a lock whose lease expired (its owner died) is taken over', async () => {
    const key = { repo: 'local/lease', project: 'network', environment: 'staging' };
    const hourAgo = new Date(Date.now() - 3_600_000);
    const dead = await h.store.acquireLock(
      key,
      'dead-run',
      { leaseSeconds: 60, position: '0', mode: 'queue' },
      hourAgo,
    );
    expect(dead.status).toBe('acquired');
    const repo = await h.repository('lease', {
      'pushgate.yml': terraformConfig(),
      'infra/network/main.tf': 'resource "null_resource" "a" {}\n',
    });
    const result = await repo.deploy({}, 'first');
    expect(result.run.status).toBe('succeeded');
    const acquired = result.history.find((e) => e.stateExitedEventDetails?.name === 'AcquireLock');
    expect(JSON.parse(acquired!.stateExitedEventDetails!.output!).lock).toMatchObject({
      locked: true,
      tookOverFrom: 'dead-run',
    });
    expect(await h.store.getLock(key)).toBeUndefined();
  });

  it('approval: the run waits, and an approval resumes it to apply the reviewed plan', async () => {
    const config = terraformConfig({
      environments: { staging: { approval: { required: true, approvers: ['octocat'] } } },
    });
    const repo = await h.repository('approved', { 'pushgate.yml': config, 'infra/network/main.tf': 'x\n' });
    const { runIds } = await repo.push({}, 'first');
    const target = await waitForApproval(runIds[0]!, 'network', 'staging');
    await approveRecorded(h, target);
    const result = await repo.finished(runIds[0]!);
    expect(result.states).toEqual(expect.arrayContaining(['WaitForApproval', 'PrepareApply', 'Apply']));
    expect(result.run.status).toBe('succeeded');
    expect(result.targets[0]!.status).toBe('succeeded');
    // Used once: the token is gone from the record.
    expect(target.approvalTaskToken).toBeTruthy();
    expect(result.targets[0]!.approvalTaskToken).toBeUndefined();
  });

  it('a raw SendTaskSuccess with a token read from the table resumes nothing into an apply', async () => {
    const config = terraformConfig({
      environments: { staging: { approval: { required: true, approvers: ['octocat'] } } },
    });
    const repo = await h.repository('unapproved', { 'pushgate.yml': config, 'infra/network/main.tf': 'x\n' });
    const { runIds } = await repo.push({}, 'first');
    const target = await waitForApproval(runIds[0]!, 'network', 'staging');
    const appliesBefore = (await h.terraformLog()).filter((line) => line.startsWith('terraform apply')).length;
    // The attack: whoever can read the token (the table, the execution history) and call SendTaskSuccess.
    h.stack.stepfunctions.sendTaskSuccess({ taskToken: target.approvalTaskToken!, output: '{"approvedBy":"me"}' });
    const result = await repo.finished(runIds[0]!);
    expect(result.run.status).toBe('failed');
    expect(result.targets[0]).toMatchObject({ status: 'failed' });
    expect(result.targets[0]!.reason).toMatch(/resumed without a recorded approval/);
    expect(result.states).not.toContain('Apply');
    const appliesAfter = (await h.terraformLog()).filter((line) => line.startsWith('terraform apply')).length;
    expect(appliesAfter).toBe(appliesBefore);
    expect(
      await h.store.getLock({ repo: 'local/unapproved', project: 'network', environment: 'staging' }),
    ).toBeUndefined();
  });

  it('a stopped execution (StopExecution) is recorded cancelled and its lock released at once', async () => {
    const config = terraformConfig({
      environments: { staging: { approval: { required: true, approvers: ['octocat'] } } },
    });
    const repo = await h.repository('stopped', { 'pushgate.yml': config, 'infra/network/main.tf': 'x\n' });
    const { runIds } = await repo.push({}, 'first');
    await waitForApproval(runIds[0]!, 'network', 'staging');
    const key = { repo: 'local/stopped', project: 'network', environment: 'staging' };
    expect((await h.store.getLock(key))?.owner).toBe(runIds[0]);
    const run = await h.store.getRun(runIds[0]!);
    h.stack.stepfunctions.stopExecution({ executionArn: run!.executionArn!, cause: 'wrong commit' });
    const deadline = Date.now() + 20_000;
    while ((await h.store.getRun(runIds[0]!))?.status !== 'cancelled' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result = await repo.finished(runIds[0]!);
    expect(result.execution.status).toBe('ABORTED');
    expect(result.run).toMatchObject({ status: 'cancelled', reason: expect.stringContaining('wrong commit') });
    expect(result.targets[0]).toMatchObject({ status: 'cancelled' });
    expect(await h.store.getLock(key)).toBeUndefined();
  });

  it('a plan artifact changed after review is refused by Apply, and nothing is applied', async () => {
    const config = terraformConfig({
      environments: { staging: { approval: { required: true, approvers: ['octocat'] } } },
    });
    const repo = await h.repository('tampered', { 'pushgate.yml': config, 'infra/network/main.tf': 'x\n' });
    const { runIds } = await repo.push({}, 'first');
    const target = await waitForApproval(runIds[0]!, 'network', 'staging');
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: h.stack.endpoints.s3,
      forcePathStyle: true,
      credentials: h.stack.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: h.stack.bucket,
        Key: `${target.planArtifactKey}`,
        Body: 'not the plan that was reviewed',
      }),
    );
    s3.destroy();
    const appliesBefore = (await h.terraformLog()).filter((line) => line.startsWith('terraform apply')).length;
    await approveRecorded(h, target);
    const result = await repo.finished(runIds[0]!);
    expect(result.run.status).toBe('failed');
    expect(result.targets[0]!.status).toBe('failed');
    const logs = h.stack.codebuild.getLogs(
      JSON.parse(
        result.history.find((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.resourceType === 'codebuild')!
          .taskFailedEventDetails!.cause!,
      ).Build.Id,
    );
    expect(logs).toContain('plan artifact changed since it was reviewed');
    expect((await h.terraformLog()).filter((line) => line.startsWith('terraform apply')).length).toBe(appliesBefore);
    expect(
      await h.store.getLock({ repo: 'local/tampered', project: 'network', environment: 'staging' }),
    ).toBeUndefined();
  });
});

async function waitForApproval(runId: string, project: string, environment: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const target = await h.store.getTarget(runId, project, environment);
    if (target?.status === 'awaiting_approval' && target.approvalTaskToken) return target;
    if (Date.now() > deadline) throw new Error(`target never waited for approval: ${JSON.stringify(target)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
