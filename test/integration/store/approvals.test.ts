import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { ApprovalEntry, Store } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const SHA = 'a'.repeat(40);
const PLAN = 'b'.repeat(64);
const REPO = 'octo/infra';

let dynamo: RunningDynalite;
let store: Store;

function entry(by: string, decision: ApprovalEntry['decision'] = 'approved'): ApprovalEntry {
  return { decision, by, via: 'github', at: T0.toISOString() };
}

async function awaitingTarget(runId = 'r1', token = 'token-1') {
  await store.createRun({
    runId,
    repo: REPO,
    kind: 'push',
    ref: 'refs/heads/main',
    branch: 'main',
    sha: SHA,
    actor: 'octocat',
    deliveryId: `d-${runId}`,
  });
  await store.putTarget({ runId, repo: REPO, project: 'net', environment: 'prod', status: 'running', sha: SHA });
  await store.setTargetStatus(runId, 'net', 'prod', 'awaiting_approval', { planSha256: PLAN });
  await store.setTargetStatus(runId, 'net', 'prod', 'awaiting_approval', {
    approvalTaskToken: token,
    approvalRequest: {
      approvers: ['alice'],
      allowSelfApproval: false,
      requestedAt: T0.toISOString(),
      expiresAt: T0.toISOString(),
    },
  });
}

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  const tableName = await createTestTable(dynamo.client);
  store = createDynamoStore({ tableName, client: dynamo.client, clock: () => T0 });
});

describe('takeApprovalToken', () => {
  it('appends the entry, removes the token and answers it', async () => {
    await awaitingTarget();
    const result = await store.takeApprovalToken('r1', 'net', 'prod', entry('alice'), { planSha256: PLAN });
    expect(result).toEqual({ taken: true, taskToken: 'token-1', entryIndex: 0 });
    const target = await store.getTarget('r1', 'net', 'prod');
    expect(target?.approvalTaskToken).toBeUndefined();
    expect(target?.approvals).toEqual([entry('alice')]);
    expect(target?.approvalRequest?.approvers).toEqual(['alice']);
  });

  it('resumes once when two approvers race; the loser is told who won', async () => {
    await awaitingTarget();
    const results = await Promise.all([
      store.takeApprovalToken('r1', 'net', 'prod', entry('alice'), { planSha256: PLAN }),
      store.takeApprovalToken('r1', 'net', 'prod', entry('bob'), { planSha256: PLAN }),
    ]);
    const taken = results.filter((result) => result.taken);
    expect(taken).toHaveLength(1);
    const lost = results.find((result) => !result.taken);
    expect(lost).toMatchObject({
      taken: false,
      reason: expect.stringMatching(/^already approved by (alice|bob) \(via github/),
    });
    expect((await store.getTarget('r1', 'net', 'prod'))?.approvals).toHaveLength(1);
  });

  it('refuses a plan that is not the one recorded, and keeps the token', async () => {
    await awaitingTarget();
    const result = await store.takeApprovalToken('r1', 'net', 'prod', entry('alice'), { planSha256: 'c'.repeat(64) });
    expect(result).toEqual({ taken: false, reason: 'the plan changed since this approval was requested' });
    expect((await store.getTarget('r1', 'net', 'prod'))?.approvalTaskToken).toBe('token-1');
  });

  it('refuses a target that is not waiting, naming its status', async () => {
    await awaitingTarget();
    await store.setTargetStatus('r1', 'net', 'prod', 'expired');
    expect(await store.takeApprovalToken('r1', 'net', 'prod', entry('alice'), { planSha256: PLAN })).toEqual({
      taken: false,
      reason: 'not waiting for approval (status expired)',
    });
    expect(await store.takeApprovalToken('r1', 'net', 'nope', entry('alice'), { planSha256: PLAN })).toEqual({
      taken: false,
      reason: 'no such target',
    });
  });

  it('restoreApprovalToken puts a token back and drops the entry, once', async () => {
    await awaitingTarget();
    const taken = await store.takeApprovalToken('r1', 'net', 'prod', entry('alice'), { planSha256: PLAN });
    if (!taken.taken) throw new Error('not taken');
    expect(await store.restoreApprovalToken('r1', 'net', 'prod', taken.taskToken, taken.entryIndex)).toBe(true);
    const target = await store.getTarget('r1', 'net', 'prod');
    expect(target?.approvalTaskToken).toBe('token-1');
    expect(target?.approvals).toEqual([]);
    expect(await store.restoreApprovalToken('r1', 'net', 'prod', 'other', 0)).toBe(false);
  });
});

describe('Slack messages of a run', () => {
  it('records a message per channel and reads them back', async () => {
    await awaitingTarget();
    expect(await store.getSlackMessages('r1')).toEqual({});
    await store.recordSlackMessage('r1', 'C1', '1700000000.000100');
    await store.recordSlackMessage('r1', 'C2', '1700000000.000200');
    await store.recordSlackMessage('r1', 'C1', '1700000000.000300');
    expect(await store.getSlackMessages('r1')).toEqual({ C1: '1700000000.000300', C2: '1700000000.000200' });
    expect((await store.getRun('r1'))?.slackMessages).toEqual({ C1: '1700000000.000300', C2: '1700000000.000200' });
    expect(await store.getSlackMessages('nope')).toEqual({});
    await expect(store.recordSlackMessage('nope', 'C1', '1')).rejects.toThrow('run nope not found');
  });
});

describe('forceUnlock', () => {
  const key = { repo: REPO, project: 'net', environment: 'prod' };
  const options = { leaseSeconds: 3600, position: `${T0.toISOString()}#r1`, mode: 'queue' as const };

  it('releases the lock whoever holds it and records who and why', async () => {
    expect((await store.acquireLock(key, 'r1', options)).status).toBe('acquired');
    expect(await store.forceUnlock(key, { by: 'alice', reason: 'unlocked from PR #7' })).toEqual({
      released: true,
      owner: 'r1',
    });
    expect(await store.getLock(key)).toBeUndefined();
    expect(await store.listUnlocks(key)).toEqual([
      { ...key, owner: 'r1', by: 'alice', reason: 'unlocked from PR #7', at: T0.toISOString() },
    ]);
    // The run that held it learns at release that it lost it.
    expect(await store.releaseLock(key, 'r1')).toBe(false);
    // The newest position stays: an older run still cannot take it and apply over it.
    const older = await store.acquireLock(key, 'r0', { ...options, position: `2025-01-01T00:00:00.000Z#r0` });
    expect(older).toEqual({ status: 'superseded', by: 'r1' });
    // A newer one can.
    const newer = await store.acquireLock(key, 'r2', { ...options, position: `2025-04-01T00:00:00.000Z#r2` });
    expect(newer.status).toBe('acquired');
  });

  it('with the holder the caller checked, leaves a lock another run holds now (it may be applying)', async () => {
    expect((await store.acquireLock(key, 'r1', options)).status).toBe('acquired');
    expect(await store.forceUnlock(key, { by: 'alice', reason: 'stuck', owner: 'r0' })).toEqual({
      released: false,
      heldBy: 'r1',
    });
    expect((await store.getLock(key))?.owner).toBe('r1');
    expect(await store.listUnlocks(key)).toEqual([]);
  });

  it('answers released: false when nobody holds it, and records nothing', async () => {
    expect(await store.forceUnlock(key, { by: 'alice', reason: 'why not' })).toEqual({ released: false });
    expect(await store.listUnlocks(key)).toEqual([]);
  });
});
