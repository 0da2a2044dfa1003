import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskResumer, TaskResumeResult } from '../../functions/lib/approval/types.ts';
import { handOver } from '../../functions/lib/locks/hand-over.ts';
import { sweepLocks } from '../../functions/lib/locks/sweep-locks.ts';
import { createDynamoStore } from '../../functions/lib/store/index.ts';
import type { Store, TargetKey } from '../../functions/lib/store/types.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../helpers/dynalite.ts';

// handOver against the real store on dynalite. Resuming is pushgate's own TaskResumer interface, here a
// recorder whose tokens are "gone" on demand (as Step Functions answers TaskTimedOut for a stopped
// waiter): the Step Functions side is covered end to end in locks-handoff.test.ts.

const KEY: TargetKey = { repo: 'octo/infra', project: 'network', environment: 'prod' };
const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let dynamo: RunningDynalite;
let store: Store;

class RecordingResumer implements TaskResumer {
  readonly succeeded: string[] = [];
  readonly failed: { token: string; error: string; cause: string }[] = [];
  readonly gone = new Set<string>();
  async succeed(token: string): Promise<TaskResumeResult> {
    if (this.gone.has(token)) return { resumed: false, expired: true };
    this.succeeded.push(token);
    return { resumed: true };
  }
  async fail(token: string, error: string, cause: string): Promise<TaskResumeResult> {
    if (this.gone.has(token)) return { resumed: false, expired: true };
    this.failed.push({ token, error, cause });
    return { resumed: true };
  }
}

/** A run that asked at `seconds` and parked on `token-<owner>`, waiting an hour. */
async function park(owner: string, position: string, mode: 'queue' | 'supersede', seconds: number) {
  const asked = await store.acquireLock(KEY, owner, { leaseSeconds: 600, position, mode }, at(seconds));
  expect(asked.status).toBe('waiting');
  expect(await store.parkTicket(KEY, { owner, position }, `token-${owner}`, at(seconds + 3600), at(seconds))).toBe(
    true,
  );
}

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.stop());
beforeEach(async () => {
  store = createDynamoStore({
    tableName: await createTestTable(dynamo.client),
    client: dynamo.client,
    clock: () => T0,
  });
});

describe('handOver', () => {
  it('queue: hands a released lock to the oldest parked run only, once, and that run takes it', async () => {
    await store.acquireLock(KEY, 'holder', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await park('run-2', 'p2', 'queue', 1);
    await park('run-1', 'p1', 'queue', 2);
    const tasks = new RecordingResumer();
    expect(await handOver(KEY, { store, tasks, now: () => at(3) })).toMatchObject({ idle: 'held' });
    await store.releaseLock(KEY, 'holder');
    expect(await handOver(KEY, { store, tasks, now: () => at(4) })).toMatchObject({ handedTo: 'run-1' });
    // Repeated (a retried release, the sweep): the lock is reserved, nobody else is resumed.
    expect(await handOver(KEY, { store, tasks, now: () => at(5) })).toMatchObject({ idle: 'held' });
    expect(tasks.succeeded).toEqual(['token-run-1']);
    expect(await store.getLock(KEY, at(5))).toMatchObject({ owner: 'run-1', reserved: true });
    const taken = await store.acquireLock(KEY, 'run-1', { leaseSeconds: 600, position: 'p1', mode: 'queue' }, at(6));
    expect(taken).toMatchObject({ status: 'acquired', waitingSince: at(2).toISOString() });
    expect(await store.getLock(KEY, at(6))).not.toHaveProperty('reserved');
  });

  it('skips a parked run whose token is gone (stopped): its ticket is dropped and the next is resumed', async () => {
    await store.acquireLock(KEY, 'holder', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await park('run-1', 'p1', 'queue', 1);
    await park('run-2', 'p2', 'queue', 2);
    await store.releaseLock(KEY, 'holder');
    const tasks = new RecordingResumer();
    tasks.gone.add('token-run-1');
    expect(await handOver(KEY, { store, tasks, now: () => at(3) })).toEqual({
      handedTo: 'run-2',
      superseded: [],
      dropped: ['run-1'],
    });
    expect(await store.getLock(KEY, at(3))).toMatchObject({ owner: 'run-2', reserved: true });
    expect((await store.lockQueue(KEY, at(3))).tickets.map((t) => t.owner)).toEqual(['run-2']);
  });

  it('supersede: fails the older parked runs with SupersededError and hands the lock to the newest', async () => {
    await store.acquireLock(KEY, 'holder', { leaseSeconds: 600, position: 'p0', mode: 'supersede' }, at(0));
    await park('run-1', 'p1', 'supersede', 1);
    await park('run-2', 'p2', 'supersede', 2);
    await park('run-3', 'p3', 'supersede', 3);
    await store.releaseLock(KEY, 'holder');
    const tasks = new RecordingResumer();
    const result = await handOver(KEY, { store, tasks, now: () => at(4) });
    expect(result).toMatchObject({ handedTo: 'run-3', superseded: ['run-1', 'run-2'] });
    expect(tasks.failed.map((f) => [f.token, f.error])).toEqual([
      ['token-run-1', 'SupersededError'],
      ['token-run-2', 'SupersededError'],
    ]);
    expect(JSON.parse(tasks.failed[0]!.cause)).toMatchObject({ errorMessage: expect.stringContaining('run-3') });
  });

  it('the sweep hands over a lock whose lease ran out, naming the dead holder; a live lease is left alone', async () => {
    await store.acquireLock(KEY, 'dead', { leaseSeconds: 60, position: 'p0', mode: 'queue' }, at(0));
    await park('run-1', 'p1', 'queue', 1);
    const tasks = new RecordingResumer();
    const sweep = (seconds: number) =>
      sweepLocks({ store, handOver: (key) => handOver(key, { store, tasks, now: () => at(seconds) }) });
    expect(await sweep(30)).toMatchObject({ locks: 1, handedTo: [] });
    expect(await sweep(61)).toMatchObject({ locks: 1, handedTo: ['run-1'] });
    const taken = await store.acquireLock(KEY, 'run-1', { leaseSeconds: 600, position: 'p1', mode: 'queue' }, at(62));
    expect(taken).toMatchObject({ status: 'acquired', tookOverFrom: 'dead' });
    // Taken: no parked run is left to sweep.
    expect(await sweep(63)).toMatchObject({ locks: 0 });
  });

  it('waits for an older run that has not parked yet instead of handing the lock past it', async () => {
    await store.acquireLock(KEY, 'run-1', { leaseSeconds: 600, position: 'p1', mode: 'queue' }, at(0));
    await store.releaseLock(KEY, 'run-1');
    await store.acquireLock(KEY, 'holder', { leaseSeconds: 600, position: 'p2', mode: 'queue' }, at(1));
    const asked = await store.acquireLock(KEY, 'run-3', { leaseSeconds: 600, position: 'p3', mode: 'queue' }, at(2));
    expect(asked.status).toBe('waiting');
    await park('run-4', 'p4', 'queue', 3);
    await store.releaseLock(KEY, 'holder');
    const tasks = new RecordingResumer();
    expect(await handOver(KEY, { store, tasks, now: () => at(4) })).toMatchObject({ idle: 'next-not-parked' });
    expect(tasks.succeeded).toEqual([]);
  });
});
