import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCompute } from '../../../functions/lib/engines/build-compute.ts';
import type { ArtifactLinks } from '../../../functions/lib/plan/artifact-links.ts';
import { acquireLock } from '../../../functions/lib/run/acquire-lock.ts';
import { record } from '../../../functions/lib/run/record.ts';
import { releaseLock } from '../../../functions/lib/run/release-lock.ts';
import type { RunMetrics } from '../../../functions/lib/run/run-metrics.ts';
import { targetFailed } from '../../../functions/lib/run/target-failed.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import type { TargetStepInput } from '../../helpers/target-step-input.ts';

// The run steps against the real store (dynalite), with a recording RunMetrics port: each metric is
// emitted once, when the record moves, and not again when Step Functions retries the step.

const artifacts: ArtifactLinks = {
  uploadUrl: async (key) => `https://artifacts.test/${key}`,
  downloadUrl: async (key) => `https://artifacts.test/${key}`,
};
const SHA = 'b'.repeat(40);
const RECEIVED = '2026-11-28T10:00:00.000Z';

function recorder(): RunMetrics & { events: [string, unknown?][] } {
  const events: [string, unknown?][] = [];
  return {
    events,
    runEnded: (status) => void events.push(['runEnded', status]),
    targetDeployed: (seconds) => void events.push(['targetDeployed', seconds]),
    lockAcquired: (seconds) => void events.push(['lockAcquired', seconds]),
    lockWaitTimedOut: () => void events.push(['lockWaitTimedOut']),
    approvalDecided: (seconds) => void events.push(['approvalDecided', seconds]),
    approvalExpired: () => void events.push(['approvalExpired']),
  };
}

let dynamo: RunningDynalite;
let store: Store;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.stop());
beforeEach(async () => {
  store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
});

function input(runId: string, overrides: Partial<TargetStepInput> = {}, approval = false): TargetStepInput {
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
      receivedAt: RECEIVED,
    },
    settings: {
      planOnly: false,
      concurrency: 'queue',
      leaseSeconds: 600,
      sourceLocation: 'https://github.com/acme/infra.git',
      queuePosition: `${RECEIVED}#${runId}`,
      parallelism: 20,
    },
    target: {
      project: 'network',
      environment: 'prod',
      engine: 'terraform',
      dir: 'infra/network',
      after: [],
      approval: { required: approval, approvers: ['alice'], timeoutSeconds: 3600, allowSelfApproval: false },
      buildspec: { plan: 'version: 0.2', apply: 'version: 0.2' },
      artifactPrefix: `runs/${runId}/network/prod`,
      definition: 'definition-sha256',
      roles: { plan: '', apply: 'arn:aws:iam::000000000000:role/deploy' },
      compute: { plan: buildCompute('lambda'), apply: buildCompute('small') },
    },
    ...overrides,
  };
}

async function seed(runId: string) {
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
  await store.putTarget({
    runId,
    repo: 'acme/infra',
    project: 'network',
    environment: 'prod',
    status: 'queued',
    sha: SHA,
  });
}

describe('run metrics', () => {
  it('AcquireLock: LockWaitSeconds from the first ask, once (a retried invocation adds nothing)', async () => {
    // run-0 holds the lock; run-1 asks at 10:01, waits, and takes it at 10:05:30 once run-0 released it.
    await seed('run-0');
    await seed('run-1');
    const metrics = recorder();
    await acquireLock(input('run-0'), { store, artifacts, now: () => new Date('2026-11-28T10:00:00.000Z') });
    const step = { ...input('run-1'), waitingSince: '2026-11-28T10:01:00.000Z' };
    const asked = await acquireLock(step, {
      store,
      artifacts,
      metrics,
      now: () => new Date('2026-11-28T10:01:00.000Z'),
    });
    expect(asked).toMatchObject({ locked: false, waiting: true });
    await store.releaseLock({ repo: step.run.repo, project: 'network', environment: 'prod' }, 'run-0');
    // Back at AcquireLock after the handoff: its EnteredTime is new, the wait still counts from the first ask.
    const resumed = { ...step, waitingSince: '2026-11-28T10:05:29.000Z' };
    const now = new Date('2026-11-28T10:05:30.000Z');
    await acquireLock(resumed, { store, artifacts, metrics, now: () => now });
    await acquireLock(resumed, { store, artifacts, metrics, now: () => now });
    expect(metrics.events).toEqual([['lockAcquired', 270]]);
  });

  it('ReleaseLock: PushToDeployedSeconds from the push, once, for an applied target', async () => {
    await seed('run-2');
    await acquireLock(input('run-2'), { store, artifacts });
    const metrics = recorder();
    const now = new Date('2026-11-28T10:12:00.000Z');
    const applied = { ...input('run-2'), planned: { next: 'apply' as const } };
    await releaseLock(applied, { store, metrics, now: () => now });
    await releaseLock(applied, { store, metrics, now: () => now });
    expect(metrics.events).toEqual([['targetDeployed', 720]]);
  });

  it('TargetFailed: LockWaitsTimedOut for a lock wait that ran out, ApprovalsExpired for an approval, once', async () => {
    await seed('run-3');
    const metrics = recorder();
    const timedOut = { ...input('run-3'), error: { Error: 'LockWaitTimeoutError', Cause: 'gave up after 60 min' } };
    await targetFailed(timedOut, { store, metrics });
    await targetFailed(timedOut, { store, metrics });
    expect(metrics.events).toEqual([['lockWaitTimedOut']]);

    await seed('run-4');
    await store.setTargetStatus('run-4', 'network', 'prod', 'running', {});
    await store.setTargetStatus('run-4', 'network', 'prod', 'planned', { planSha256: 'c'.repeat(64) });
    await store.setTargetStatus('run-4', 'network', 'prod', 'awaiting_approval', { approvalTaskToken: 'token' });
    const expired = recorder();
    await targetFailed(
      { ...input('run-4', {}, true), error: { Error: 'States.Timeout', Cause: 'timed out' } },
      { store, metrics: expired },
    );
    expect(expired.events).toEqual([['approvalExpired']]);
  });

  it('Record: Runs by outcome when the run gets its final status, not when Record runs again', async () => {
    await seed('run-5');
    await store.setTargetStatus('run-5', 'network', 'prod', 'running', {});
    await store.setTargetStatus('run-5', 'network', 'prod', 'succeeded', {});
    const metrics = recorder();
    await record({ runId: 'run-5' }, { store, metrics });
    await record({ runId: 'run-5' }, { store, metrics });
    expect(metrics.events).toEqual([['runEnded', 'succeeded']]);
  });
});
