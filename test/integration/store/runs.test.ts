import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  createDynamoStore,
  InvalidTransitionError,
  NotFoundError,
} from '../../../functions/lib/store/index.ts';
import type { RunRecord, Store } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const T1 = new Date('2025-03-01T12:01:00.000Z');
const T2 = new Date('2025-03-01T12:02:00.000Z');
const SHA = 'a'.repeat(40);
const REPO = 'octo/infra';

let dynamo: RunningDynalite;
let tableName: string;
let store: Store;

function newRun(runId: string, overrides: Partial<RunRecord> = {}) {
  return {
    runId,
    repo: REPO,
    kind: 'push' as const,
    ref: 'refs/heads/main',
    branch: 'main',
    sha: SHA,
    actor: 'octocat',
    deliveryId: `delivery-${runId}`,
    ...overrides,
  };
}

function newTarget(runId: string, project: string, environment: string) {
  return { runId, repo: REPO, project, environment, status: 'queued' as const, sha: SHA };
}

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  tableName = await createTestTable(dynamo.client);
  store = createDynamoStore({ tableName, client: dynamo.client, clock: () => T0 });
});

describe('runs (access pattern 2)', () => {
  it('creates a queued run and reads it back without table attributes', async () => {
    const created = await store.createRun(newRun('r1', { pullRequest: 7 }));
    expect(created).toEqual({
      ...newRun('r1', { pullRequest: 7 }),
      status: 'queued',
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
    expect(await store.getRun('r1')).toEqual(created);
    expect(await store.getRun('missing')).toBeUndefined();
  });

  it('keeps only the fields of a run record', async () => {
    const wider = { ...newRun('r1'), payload: 'x'.repeat(1000) } as ReturnType<typeof newRun>;
    await store.createRun(wider);
    expect(await store.getRun('r1')).not.toHaveProperty('payload');
  });

  it('refuses to create the same run twice', async () => {
    await store.createRun(newRun('r1'));
    await expect(store.createRun(newRun('r1', { actor: 'someone' }))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await store.getRun('r1'))?.actor).toBe('octocat');
  });

  it('moves a run along the lifecycle, stamping finishedAt only on a final status', async () => {
    await store.createRun(newRun('r1'));
    const running = await store.setRunStatus('r1', 'running', { executionArn: 'arn:aws:states:x' }, T1);
    expect(running).toMatchObject({ status: 'running', executionArn: 'arn:aws:states:x', updatedAt: T1.toISOString() });
    expect(running.finishedAt).toBeUndefined();
    const planned = await store.setRunStatus('r1', 'planned', undefined, T1);
    expect(planned.finishedAt).toBeUndefined();
    const done = await store.setRunStatus('r1', 'succeeded', { reason: 'applied' }, T2);
    expect(done).toMatchObject({ status: 'succeeded', reason: 'applied', finishedAt: T2.toISOString() });
    expect(done.createdAt).toBe(T0.toISOString());
    expect(await store.getRun('r1')).toEqual(done);
  });

  it('rejects a transition the lifecycle does not allow and leaves the run unchanged', async () => {
    await store.createRun(newRun('r1'));
    await store.setRunStatus('r1', 'running', undefined, T1);
    await store.setRunStatus('r1', 'failed', { reason: 'boom' }, T1);
    const before = await store.getRun('r1');

    const error = await store.setRunStatus('r1', 'running', { reason: 'again' }, T2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({ from: 'failed', to: 'running', name: 'InvalidTransitionError' });
    await expect(store.setRunStatus('r1', 'succeeded', undefined, T2)).rejects.toBeInstanceOf(InvalidTransitionError);
    // Nothing may go back to queued.
    await expect(store.setRunStatus('r1', 'queued', undefined, T2)).rejects.toMatchObject({
      from: 'failed',
      to: 'queued',
    });
    expect(await store.getRun('r1')).toEqual(before);
  });

  it('rejects skipping a step (queued straight to applying)', async () => {
    await store.createRun(newRun('r1'));
    await expect(store.setRunStatus('r1', 'applying')).rejects.toMatchObject({ from: 'queued', to: 'applying' });
    expect((await store.getRun('r1'))?.status).toBe('queued');
  });

  it('reports a status change of a missing run as NotFoundError', async () => {
    await expect(store.setRunStatus('nope', 'running')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.setRunStatus('nope', 'queued')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets exactly one of two racing final transitions win', async () => {
    await store.createRun(newRun('r1'));
    await store.setRunStatus('r1', 'running');
    await store.setRunStatus('r1', 'applying');
    const results = await Promise.allSettled([
      store.setRunStatus('r1', 'succeeded'),
      store.setRunStatus('r1', 'failed'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(InvalidTransitionError);
  });

  it('records notifications per channel without touching the status', async () => {
    await store.createRun(newRun('r1'));
    const slack = { ok: true, attempts: 1, at: T1.toISOString() };
    const github = { ok: false, attempts: 3, error: 'HTTP 502', at: T2.toISOString() };
    await store.recordNotification('r1', 'slack', slack);
    await store.recordNotification('r1', 'github', github);
    await store.recordNotification('r1', 'slack', { ...slack, attempts: 2 });
    const run = await store.getRun('r1');
    expect(run?.notifications).toEqual({ slack: { ...slack, attempts: 2 }, github });
    expect(run?.status).toBe('queued');
    await expect(store.recordNotification('nope', 'slack', slack)).rejects.toBeInstanceOf(NotFoundError);
    const raw = await DynamoDBDocumentClient.from(dynamo.client).send(
      new GetCommand({ TableName: tableName, Key: { pk: 'RUN#nope', sk: 'RUN' } }),
    );
    expect(raw.Item).toBeUndefined();
  });

  it('finds the runs of a commit, newest first, and only those', async () => {
    await store.createRun(newRun('r-old'), T0);
    await store.createRun(newRun('r-new'), T2);
    await store.createRun(newRun('r-mid'), T1);
    await store.createRun(newRun('r-other', { sha: 'b'.repeat(40) }), T1);
    await store.createRun(newRun('r-fork', { repo: 'octo/other' }), T1);
    const runs = await store.findRunsBySha(REPO, SHA);
    expect(runs.map((run) => run.runId)).toEqual(['r-new', 'r-mid', 'r-old']);
    expect(runs[0]).toEqual(await store.getRun('r-new'));
    expect(await store.findRunsBySha(REPO, 'c'.repeat(40))).toEqual([]);
  });
});

describe('targets (access pattern 2)', () => {
  it('puts, reads and lists the targets of a run', async () => {
    await store.createRun(newRun('r1'));
    const network = await store.putTarget(newTarget('r1', 'network', 'staging'));
    await store.putTarget(newTarget('r1', 'network', 'prod'));
    await store.putTarget(newTarget('r1', 'app', 'staging'));
    await store.putTarget(newTarget('r2', 'app', 'staging'));
    expect(network).toEqual({
      ...newTarget('r1', 'network', 'staging'),
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
    expect(await store.getTarget('r1', 'network', 'staging')).toEqual(network);
    expect(await store.getTarget('r1', 'network', 'dev')).toBeUndefined();
    const listed = await store.listTargets('r1');
    expect(listed.map((t) => `${t.project}/${t.environment}`).sort()).toEqual([
      'app/staging',
      'network/prod',
      'network/staging',
    ]);
    expect(await store.listTargets('r-none')).toEqual([]);
  });

  it('refuses to put the same target twice', async () => {
    await store.putTarget(newTarget('r1', 'network', 'staging'));
    await expect(store.putTarget(newTarget('r1', 'network', 'staging'))).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('moves a target along the lifecycle with its plan fields', async () => {
    await store.putTarget(newTarget('r1', 'network', 'prod'));
    await store.setTargetStatus('r1', 'network', 'prod', 'running', { planBuildId: 'plan:1' }, T1);
    const summary = { add: 1, change: 2, destroy: 0, replace: 0, outputChanges: ['url'], hasChanges: true };
    const planned = await store.setTargetStatus('r1', 'network', 'prod', 'planned', {
      summary,
      planSha256: 'f'.repeat(64),
      planArtifactKey: 'runs/r1/network/prod/plan.bin',
    });
    expect(planned).toMatchObject({ status: 'planned', summary, planBuildId: 'plan:1', planSha256: 'f'.repeat(64) });
    expect(planned.finishedAt).toBeUndefined();
    await store.setTargetStatus('r1', 'network', 'prod', 'applying', { applyBuildId: 'apply:1' });
    const done = await store.setTargetStatus('r1', 'network', 'prod', 'succeeded', undefined, T2);
    expect(done).toMatchObject({ status: 'succeeded', applyBuildId: 'apply:1', finishedAt: T2.toISOString() });
    expect(await store.getTarget('r1', 'network', 'prod')).toEqual(done);
  });

  it('ignores fields a status change may not set', async () => {
    await store.putTarget(newTarget('r1', 'network', 'prod'));
    const fields = { reason: 'why', sha: 'b'.repeat(40), project: 'other' } as { reason: string };
    const running = await store.setTargetStatus('r1', 'network', 'prod', 'running', fields);
    expect(running).toMatchObject({ reason: 'why', sha: SHA, project: 'network' });
  });

  it('rejects a target transition the lifecycle does not allow and leaves it unchanged', async () => {
    await store.putTarget(newTarget('r1', 'network', 'prod'));
    await store.setTargetStatus('r1', 'network', 'prod', 'running');
    await store.setTargetStatus('r1', 'network', 'prod', 'no_changes');
    const before = await store.getTarget('r1', 'network', 'prod');
    await expect(
      store.setTargetStatus('r1', 'network', 'prod', 'applying', { applyBuildId: 'apply:1' }),
    ).rejects.toMatchObject({ name: 'InvalidTransitionError', from: 'no_changes', to: 'applying' });
    expect(await store.getTarget('r1', 'network', 'prod')).toEqual(before);
    await expect(store.setTargetStatus('r1', 'network', 'dev', 'running')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses names that would make two keys collide', async () => {
    await expect(store.putTarget(newTarget('r1', 'a#b', 'prod'))).rejects.toMatchObject({ name: 'StoreError' });
  });
});
