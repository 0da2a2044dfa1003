import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../../functions/lib/run/acquire-lock.ts';
import { renewLock } from '../../../functions/lib/run/renew-lock.ts';
import type { ArtifactLinks } from '../../../functions/lib/plan/artifact-links.ts';
import { describeError } from '../../../functions/lib/run/describe-error.ts';
import { executionEnded } from '../../../functions/lib/run/execution-ended.ts';
import { record as recordRun } from '../../../functions/lib/run/record.ts';
import { releaseLock as finishTarget } from '../../../functions/lib/run/release-lock.ts';
import { targetFailed as failTarget } from '../../../functions/lib/run/target-failed.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import type { TargetStepInput } from '../../helpers/target-step-input.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { buildCompute } from '../../../functions/lib/engines/build-compute.ts';

/** Presigned links as AcquireLock hands them to the Plan build (S3 itself is the summarize tests' part). */
const artifacts: ArtifactLinks = {
  uploadUrl: async (key) => `https://artifacts.test/${key}?X-Amz-Signature=put`,
  downloadUrl: async (key) => `https://artifacts.test/${key}?X-Amz-Signature=get`,
};
const acquireTargetLock = (
  input: Parameters<typeof acquireLock>[0],
  deps: Omit<Parameters<typeof acquireLock>[1], 'artifacts'>,
) => acquireLock(input, { ...deps, artifacts });

const SHA = 'a'.repeat(40);
let dynamo: RunningDynalite;
let store: Store;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.stop());
beforeEach(async () => {
  store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
});

function stepInput(
  runId: string,
  overrides: Partial<TargetStepInput> = {},
  target: Partial<TargetStepInput['target']> = {},
): TargetStepInput {
  return {
    run: {
      runId,
      deliveryId: `d-${runId}`,
      kind: 'push',
      repo: 'acme/infra',
      ref: 'refs/heads/main',
      branch: 'main',
      sha: SHA,
      actor: 'octocat',
      receivedAt: '2026-11-28T00:00:00.000Z',
    },
    settings: {
      planOnly: false,
      concurrency: 'queue',
      leaseSeconds: 600,
      sourceLocation: 'https://github.com/acme/infra.git',
      queuePosition: `2026-11-28T00:00:00.000Z#${runId}`,
      parallelism: 20,
    },
    target: {
      project: 'network',
      environment: 'staging',
      engine: 'terraform',
      dir: 'infra/network',
      after: [],
      approval: { required: false, approvers: [], timeoutSeconds: 86400, allowSelfApproval: false },
      buildspec: { plan: 'version: 0.2', apply: 'version: 0.2' },
      artifactPrefix: `runs/${runId}/network/staging`,
      definition: 'definition-sha256',
      roles: { plan: '', apply: 'arn:aws:iam::000000000000:role/deploy' },
      compute: { plan: buildCompute('lambda'), apply: buildCompute('small') },
      ...target,
    },
    ...overrides,
  };
}

async function seed(
  runId: string,
  targets: { project: string; environment: string }[] = [{ project: 'network', environment: 'staging' }],
) {
  await store.createRun({
    runId,
    repo: 'acme/infra',
    kind: 'push',
    ref: 'refs/heads/main',
    branch: 'main',
    sha: SHA,
    actor: 'octocat',
    deliveryId: `d-${runId}`,
    status: 'running',
  });
  for (const t of targets) {
    await store.putTarget({
      runId,
      repo: 'acme/infra',
      project: t.project,
      environment: t.environment,
      status: 'queued',
      sha: SHA,
    });
  }
}

describe('AcquireLock', () => {
  it('takes the lock and marks the target running', async () => {
    await seed('run-1');
    const result = await acquireTargetLock(stepInput('run-1'), { store });
    expect(result).toMatchObject({ locked: true, owner: 'run-1' });
    expect((await store.getTarget('run-1', 'network', 'staging'))?.status).toBe('running');
  });

  it('returns waiting (not an error) naming the holder while another run holds it; the ticket stays', async () => {
    await seed('run-1');
    await seed('run-2');
    await acquireTargetLock(stepInput('run-1'), { store });
    const input = stepInput('run-2', {
      settings: {
        ...stepInput('run-2').settings,
        lockWaitMinutes: 90,
        queuePosition: '2026-11-28T00:00:01.000Z#run-2',
      },
    });
    const now = new Date();
    const result = await acquireTargetLock(input, { store, now: () => now });
    expect(result).toEqual({
      locked: false,
      waiting: true,
      // The whole of lockWaitMinutes is left on the first ask: WaitForLock's timeout.
      waitSeconds: 90 * 60,
      heldBy: expect.stringContaining('held by run run-1'),
      waitingSince: now.toISOString(),
    });
    expect((await store.getTarget('run-2', 'network', 'staging'))?.status).toBe('queued');
    const [held] = await store.listLocks('acme/infra');
    expect(held?.waiting.map((w) => w.owner)).toEqual(['run-2']);
  });

  it('counts the wait from the first ask: what is left, then LockWaitTimeoutError after lockWaitMinutes', async () => {
    await seed('run-1');
    await seed('run-2');
    await acquireTargetLock(stepInput('run-1'), { store });
    const base = stepInput('run-2');
    const input = {
      ...base,
      settings: { ...base.settings, lockWaitMinutes: 1, queuePosition: '2026-11-28T00:00:01.000Z#run-2' },
    };
    const first = Date.now();
    await acquireTargetLock(input, { store, now: () => new Date(first) });
    // Back at AcquireLock after 40 s (a handoff it lost): 20 s are left.
    expect(await acquireTargetLock(input, { store, now: () => new Date(first + 40_000) })).toMatchObject({
      waiting: true,
      waitSeconds: 20,
    });
    await expect(acquireTargetLock(input, { store, now: () => new Date(first + 61_000) })).rejects.toMatchObject({
      name: 'LockWaitTimeoutError',
      message: expect.stringContaining('gave up after waiting 1 min'),
    });
    expect(await store.listLocks('acme/infra')).toMatchObject([{ waiting: [] }]);
  });

  it('skips a target whose `after` environment did not succeed', async () => {
    await seed('run-1', [
      { project: 'network', environment: 'staging' },
      { project: 'network', environment: 'prod' },
    ]);
    await store.setTargetStatus('run-1', 'network', 'staging', 'failed', { reason: 'boom' });
    const input = stepInput('run-1', {}, { environment: 'prod', after: ['staging'] });
    await expect(acquireTargetLock(input, { store })).rejects.toMatchObject({
      name: 'DependencyFailedError',
      message: expect.stringContaining('staging ended failed'),
    });
    expect(await store.getLock({ repo: 'acme/infra', project: 'network', environment: 'prod' })).toBeUndefined();
  });

  it('takes no lock for a plan-only run', async () => {
    await seed('run-1');
    const base = stepInput('run-1');
    expect(await acquireTargetLock({ ...base, settings: { ...base.settings, planOnly: true } }, { store })).toEqual({
      locked: false,
      upload: {
        planBin: 'https://artifacts.test/runs/run-1/network/staging/plan.bin?X-Amz-Signature=put',
        planJson: 'https://artifacts.test/runs/run-1/network/staging/plan.json?X-Amz-Signature=put',
        planTxt: 'https://artifacts.test/runs/run-1/network/staging/plan.txt?X-Amz-Signature=put',
      },
    });
    expect(await store.getLock({ repo: 'acme/infra', project: 'network', environment: 'staging' })).toBeUndefined();
  });
});

describe('RenewLock', () => {
  it('extends the lease of a lock the run still holds', async () => {
    await seed('run-1');
    const first = await acquireTargetLock(stepInput('run-1'), { store, now: () => new Date('2026-11-28T00:00:00Z') });
    const renewed = await renewLock(stepInput('run-1'), { store, now: () => new Date('2026-11-28T00:05:00Z') });
    expect(renewed).toMatchObject({ locked: true, owner: 'run-1' });
    expect(renewed.leaseExpiresAt! > first.leaseExpiresAt!).toBe(true);
  });

  it('fails with LockLostError when the lease ran out and another run took the lock over', async () => {
    await seed('run-1');
    await seed('run-2');
    await acquireTargetLock(stepInput('run-1'), { store, now: () => new Date('2026-11-28T00:00:00Z') });
    // 600 s lease: an hour later the lock is free to take over.
    const later = () => new Date('2026-11-28T01:00:00Z');
    const takeover = {
      ...stepInput('run-2'),
      settings: { ...stepInput('run-2').settings, queuePosition: '2026-11-28T00:30:00.000Z#run-2' },
    };
    expect(await acquireTargetLock(takeover, { store, now: later })).toMatchObject({
      locked: true,
      tookOverFrom: 'run-1',
    });
    await expect(renewLock(stepInput('run-1'), { store, now: later })).rejects.toMatchObject({
      name: 'LockLostError',
      message: expect.stringContaining('was taken over by run run-2'),
    });
  });
});

describe('ReleaseLock and TargetFailed', () => {
  it('records the deployment, releases the lock, and updates what is deployed now', async () => {
    await seed('run-1');
    await acquireTargetLock(stepInput('run-1'), { store });
    await store.setTargetStatus('run-1', 'network', 'staging', 'applying', { planSha256: 'f'.repeat(64) });
    const result = await finishTarget(
      stepInput('run-1', {
        planned: { next: 'apply', planSha256: 'f'.repeat(64) },
        applyBuild: { buildId: 'apply:1' },
      }),
      { store },
    );
    expect(result).toEqual({ status: 'succeeded', released: true });
    expect(await store.getLock({ repo: 'acme/infra', project: 'network', environment: 'staging' })).toBeUndefined();
    expect(await store.getCurrent('acme/infra', 'staging')).toMatchObject([
      { project: 'network', runId: 'run-1', sha: SHA },
    ]);
    expect((await store.getTarget('run-1', 'network', 'staging'))?.applyBuildId).toBe('apply:1');
  });

  it('a failed target is recorded with a readable reason and its lock released', async () => {
    await seed('run-1');
    await acquireTargetLock(stepInput('run-1'), { store });
    const error = {
      Error: 'States.TaskFailed',
      Cause: JSON.stringify({
        Build: {
          Id: 'pushgate-plan:42',
          BuildStatus: 'FAILED',
          Phases: [
            { PhaseType: 'INSTALL', PhaseStatus: 'SUCCEEDED' },
            {
              PhaseType: 'BUILD',
              PhaseStatus: 'FAILED',
              Contexts: [
                {
                  StatusCode: 'COMMAND_EXECUTION_ERROR',
                  Message: 'Error while executing command: terraform plan. Reason: exit status 1',
                },
              ],
            },
          ],
        },
      }),
    };
    const result = await failTarget(stepInput('run-1', { error }), { store });
    expect(result.status).toBe('failed');
    expect(result.reason).toBe(
      'build pushgate-plan:42 failed in phase BUILD: Error while executing command: terraform plan. Reason: exit status 1',
    );
    expect(await store.getLock({ repo: 'acme/infra', project: 'network', environment: 'staging' })).toBeUndefined();
    expect(await store.getTarget('run-1', 'network', 'staging')).toMatchObject({
      status: 'failed',
      reason: result.reason,
    });
  });

  it('a superseded or skipped target gets that status, not failed', async () => {
    await seed('run-1', [
      { project: 'network', environment: 'staging' },
      { project: 'network', environment: 'prod' },
    ]);
    const lambdaCause = (type: string, message: string) =>
      JSON.stringify({ errorType: type, errorMessage: message, trace: [] });
    await failTarget(
      stepInput('run-1', { error: { Error: 'SupersededError', Cause: lambdaCause('SupersededError', 'newer run') } }),
      { store },
    );
    await failTarget(
      stepInput(
        'run-1',
        { error: { Error: 'DependencyFailedError', Cause: lambdaCause('DependencyFailedError', 'staging failed') } },
        { environment: 'prod' },
      ),
      { store },
    );
    expect((await store.getTarget('run-1', 'network', 'staging'))?.status).toBe('superseded');
    expect(await store.getTarget('run-1', 'network', 'prod')).toMatchObject({
      status: 'skipped',
      reason: 'staging failed',
    });
  });
});

describe('Record', () => {
  it('closes targets left open, releases their locks and fails the run with the reason', async () => {
    await seed('run-1', [
      { project: 'network', environment: 'staging' },
      { project: 'network', environment: 'prod' },
    ]);
    await acquireTargetLock(stepInput('run-1'), { store });
    const outcome = await recordRun(
      {
        runId: 'run-1',
        executionArn: 'arn:aws:states:eu-west-1:1:execution:deploy:run-1',
        error: { Error: 'States.Runtime', Cause: 'the Map failed' },
      },
      { store },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toBe('States.Runtime: the Map failed');
    // What the Failed state shows in the console: a code, and the run's reason.
    expect(outcome).toMatchObject({ error: 'RunFailed', cause: 'States.Runtime: the Map failed' });
    expect(outcome.consoleUrl).toContain('eu-west-1.console.aws.amazon.com');
    expect(outcome.targets.map((t) => t.status).sort()).toEqual(['cancelled', 'failed']);
    expect(await store.getLock({ repo: 'acme/infra', project: 'network', environment: 'staging' })).toBeUndefined();
    expect((await store.getRun('run-1'))?.status).toBe('failed');
  });

  it('derives the run status from its targets', async () => {
    await seed('run-1', [
      { project: 'network', environment: 'staging' },
      { project: 'dns', environment: 'staging' },
    ]);
    await store.setTargetStatus('run-1', 'network', 'staging', 'running');
    await store.setTargetStatus('run-1', 'network', 'staging', 'no_changes');
    await store.setTargetStatus('run-1', 'dns', 'staging', 'running');
    await store.setTargetStatus('run-1', 'dns', 'staging', 'applying');
    await store.setTargetStatus('run-1', 'dns', 'staging', 'succeeded');
    const succeeded = await recordRun({ runId: 'run-1' }, { store });
    expect(succeeded.status).toBe('succeeded');
    // The execution ends Succeeded: no Error, no Cause.
    expect(succeeded).not.toHaveProperty('error');
    expect(succeeded).not.toHaveProperty('cause');

    await seed('run-2');
    await store.setTargetStatus('run-2', 'network', 'staging', 'running');
    await store.setTargetStatus('run-2', 'network', 'staging', 'no_changes');
    expect((await recordRun({ runId: 'run-2' }, { store })).status).toBe('no_changes');
  });

  it('a failed target: the outcome carries TargetFailed and the reason naming the target, for the Failed state', async () => {
    await seed('run-1', [
      { project: 'network', environment: 'staging' },
      { project: 'network', environment: 'prod' },
    ]);
    await store.setTargetStatus('run-1', 'network', 'staging', 'running');
    await store.setTargetStatus('run-1', 'network', 'staging', 'no_changes');
    await store.setTargetStatus('run-1', 'network', 'prod', 'running');
    await store.setTargetStatus('run-1', 'network', 'prod', 'applying');
    await store.setTargetStatus('run-1', 'network', 'prod', 'failed', {
      reason: 'build pushgate-dev-apply:b1 failed in phase BUILD: exit status 1',
    });
    const outcome = await recordRun({ runId: 'run-1' }, { store });
    expect(outcome).toMatchObject({
      status: 'failed',
      error: 'TargetFailed',
      cause: 'network/prod: build pushgate-dev-apply:b1 failed in phase BUILD: exit status 1',
    });
    expect((await store.getRun('run-1'))?.reason).toBe(outcome.cause);
  });

  it('an invalid pushgate.yml caught by RecordFailure: ValidationFailed with the problems', async () => {
    await seed('run-1', []);
    const message = 'pushgate.yml at aaaaaaa has 1 problem: projects[0].engine: expected terraform';
    const outcome = await recordRun(
      {
        runId: 'run-1',
        error: {
          Error: 'InvalidConfigError',
          Cause: JSON.stringify({ errorType: 'InvalidConfigError', errorMessage: message }),
        },
      },
      { store },
    );
    expect(outcome).toMatchObject({ status: 'failed', error: 'ValidationFailed', cause: message });
  });

  it('keeps a run that Validate already ended as skipped', async () => {
    await seed('run-1', []);
    await store.setRunStatus('run-1', 'skipped', { reason: 'no project changed' });
    expect(await recordRun({ runId: 'run-1' }, { store })).toMatchObject({
      status: 'skipped',
      reason: 'no project changed',
      targets: [],
    });
  });
});

describe('executionEnded (EventBridge: Step Functions Execution Status Change)', () => {
  const event = (status: string, runId: string, extra: Record<string, string> = {}) => ({
    'detail-type': 'Step Functions Execution Status Change' as const,
    detail: {
      executionArn: `arn:aws:states:us-east-1:1:execution:deploy:${runId}`,
      status: status as 'FAILED',
      input: JSON.stringify({ runId }),
      ...extra,
    },
  });

  it('closes a run that failed outside any Catch, and releases its locks', async () => {
    await seed('run-1');
    await acquireTargetLock(stepInput('run-1'), { store });
    const result = await executionEnded(
      event('FAILED', 'run-1', { error: 'States.DataLimitExceeded', cause: 'too big' }),
      { store },
    );
    expect(result).toEqual({ runId: 'run-1', status: 'failed' });
    expect(await store.getRun('run-1')).toMatchObject({
      status: 'failed',
      reason: 'States.DataLimitExceeded: too big',
    });
    expect((await store.getTarget('run-1', 'network', 'staging'))?.status).toBe('failed');
    expect(await store.getLock({ repo: 'acme/infra', project: 'network', environment: 'staging' })).toBeUndefined();
  });

  it('stops the apply build first, and keeps the lock when the build would not stop', async () => {
    await seed('run-1');
    await acquireTargetLock(stepInput('run-1'), { store });
    await store.setTargetStatus('run-1', 'network', 'staging', 'applying');
    const key = { repo: 'acme/infra', project: 'network', environment: 'staging' };
    const stuck = async () => {
      throw Object.assign(new Error('apply build still running'), { name: 'ApplyStillRunningError' });
    };
    await expect(executionEnded(event('ABORTED', 'run-1'), { store, stopApplyBuilds: stuck })).rejects.toMatchObject({
      name: 'ApplyStillRunningError',
    });
    expect((await store.getLock(key))?.owner).toBe('run-1');
    const stopped: string[] = [];
    const result = await executionEnded(event('ABORTED', 'run-1'), {
      store,
      stopApplyBuilds: async (runId) => {
        stopped.push(runId);
        // The lock is still held while the build is being stopped.
        expect((await store.getLock(key))?.owner).toBe('run-1');
      },
    });
    expect(stopped).toEqual(['run-1']);
    expect(result.status).toBe('cancelled');
    expect((await store.getRun('run-1'))?.reason).toBe('the execution was stopped');
    expect(await store.getLock(key)).toBeUndefined();
  });

  it('a stopped execution: the error and cause given to StopExecution become the run reason', async () => {
    await seed('run-1');
    const result = await executionEnded(event('ABORTED', 'run-1', { error: 'Superseded', cause: 'a newer push' }), {
      store,
    });
    expect(result).toEqual({ runId: 'run-1', status: 'cancelled' });
    expect(await store.getRun('run-1')).toMatchObject({
      status: 'cancelled',
      reason: 'the execution was stopped (Superseded): a newer push',
    });
  });

  it('leaves a run the workflow already recorded as it was, and ignores other statuses and unknown runs', async () => {
    await seed('run-1');
    await store.setRunStatus('run-1', 'skipped', { reason: 'nothing to do' });
    expect(await executionEnded(event('FAILED', 'run-1'), { store })).toMatchObject({ status: 'skipped' });
    expect(await executionEnded(event('SUCCEEDED', 'run-1'), { store })).toEqual({});
    expect(await executionEnded(event('ABORTED', 'nobody'), { store })).toEqual({});
  });
});

describe('describeError', () => {
  it('reads Lambda errors, build failures and plain causes', () => {
    expect(
      describeError({
        Error: 'InvalidConfigError',
        Cause: JSON.stringify({ errorType: 'InvalidConfigError', errorMessage: 'projects[0].engine: invalid' }),
      }),
    ).toBe('projects[0].engine: invalid');
    expect(describeError({ Error: 'States.Timeout' })).toBe('States.Timeout');
    expect(describeError({ Error: 'X', Cause: 'y'.repeat(5000) }).length).toBeLessThanOrEqual(1500);
  });
});
