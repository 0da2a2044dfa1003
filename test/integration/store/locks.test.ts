import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore, keys } from '../../../functions/lib/store/index.ts';
import type { AcquireLockOptions, Store, TargetKey as LockKey } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

const KEY: LockKey = { repo: 'octo/infra', project: 'network', environment: 'prod' };
const T0 = new Date('2025-03-01T12:00:00.000Z');

/** `seconds` after T0: every call gets its `now` injected, nothing sleeps. */
function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

function queue(position: string, extra: Partial<AcquireLockOptions> = {}): AcquireLockOptions {
  return { leaseSeconds: 600, position, mode: 'queue', ...extra };
}

function supersede(position: string, extra: Partial<AcquireLockOptions> = {}): AcquireLockOptions {
  return { leaseSeconds: 600, position, mode: 'supersede', ...extra };
}

let dynamo: RunningDynalite;
let tableName: string;
let store: Store;

/** Owners with a queue ticket, read straight from the table. */
async function ticketOwners(): Promise<string[]> {
  const { Items = [] } = await DynamoDBDocumentClient.from(dynamo.client).send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :wait)',
      ExpressionAttributeValues: { ':pk': 'LOCK#octo/infra#network#prod', ':wait': 'WAIT#' },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => String(item.owner));
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

describe('locks (access pattern 6)', () => {
  it('acquires a free lock and reports it with its lease', async () => {
    const result = await store.acquireLock(KEY, 'run-a', queue('p1', { leaseSeconds: 60 }), at(0));
    const lock = { ...KEY, owner: 'run-a', acquiredAt: at(0).toISOString(), leaseExpiresAt: at(60).toISOString() };
    expect(result).toEqual({
      status: 'acquired',
      lock: { ...lock, expired: false },
      waitingSince: at(0).toISOString(),
    });
    expect(await store.getLock(KEY, at(60))).toEqual({ ...lock, expired: false });
    expect(await store.getLock(KEY, at(61))).toEqual({ ...lock, expired: true });
    expect(await store.getLock({ ...KEY, environment: 'staging' })).toBeUndefined();
    expect(await ticketOwners()).toEqual([]);
  });

  it('lets exactly one of 10 concurrent acquirers in; the others wait and learn who holds it', async () => {
    const owners = Array.from({ length: 10 }, (_, i) => `run-${i}`);
    const results = await Promise.all(owners.map((owner, i) => store.acquireLock(KEY, owner, queue(`p${i}`))));
    const winners = owners.filter((_, i) => results[i]?.status === 'acquired');
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    for (const result of results) {
      if (result.status === 'acquired') continue;
      expect(result.status).toBe('waiting');
      // A waiter that stopped at the queue may have looked before anyone held the lock.
      if (result.status === 'waiting' && result.holder) expect(result.holder.owner).toBe(winner);
    }
    expect((await store.getLock(KEY))?.owner).toBe(winner);
    for (const [i, owner] of owners.entries()) {
      if (owner === winner) continue;
      const again = await store.acquireLock(KEY, owner, queue(`p${i}`));
      expect(again).toMatchObject({ status: 'waiting', holder: { owner: winner } });
    }
  });

  it('refuses a release by anyone but the owner', async () => {
    await store.acquireLock(KEY, 'run-a', queue('p1'));
    expect(await store.releaseLock(KEY, 'run-b')).toBe(false);
    expect((await store.getLock(KEY))?.owner).toBe('run-a');
    expect(await store.releaseLock(KEY, 'run-a')).toBe(true);
    expect(await store.getLock(KEY)).toBeUndefined();
    expect(await store.releaseLock(KEY, 'run-a')).toBe(false);
  });

  it('queue mode: after each release only the oldest waiter acquires', async () => {
    await store.acquireLock(KEY, 'holder', queue('p0'), at(0));
    for (const [owner, position] of [
      ['run-3', 'p3'],
      ['run-1', 'p1'],
      ['run-2', 'p2'],
    ] as const) {
      expect(await store.acquireLock(KEY, owner, queue(position), at(1))).toMatchObject({
        status: 'waiting',
        holder: { owner: 'holder' },
      });
    }
    expect(await store.releaseLock(KEY, 'holder')).toBe(true);

    // How long each has waited counts from its first ask, however often it asks again.
    const since = at(1).toISOString();
    expect(await store.acquireLock(KEY, 'run-3', queue('p3'), at(2))).toEqual({
      status: 'waiting',
      ahead: 2,
      waitingSince: since,
    });
    expect(await store.acquireLock(KEY, 'run-2', queue('p2'), at(2))).toEqual({
      status: 'waiting',
      ahead: 1,
      waitingSince: since,
    });
    expect(await store.acquireLock(KEY, 'run-1', queue('p1'), at(2))).toMatchObject({ status: 'acquired' });
    expect(await store.acquireLock(KEY, 'run-2', queue('p2'), at(3))).toMatchObject({
      status: 'waiting',
      holder: { owner: 'run-1' },
      ahead: 0,
    });
    expect(await store.releaseLock(KEY, 'run-1')).toBe(true);

    expect(await store.acquireLock(KEY, 'run-3', queue('p3'), at(4))).toEqual({
      status: 'waiting',
      ahead: 1,
      waitingSince: since,
    });
    expect(await store.acquireLock(KEY, 'run-2', queue('p2'), at(4))).toMatchObject({ status: 'acquired' });
    expect(await store.releaseLock(KEY, 'run-2')).toBe(true);
    expect(await store.acquireLock(KEY, 'run-3', queue('p3'), at(5))).toMatchObject({ status: 'acquired' });
    expect(await ticketOwners()).toEqual([]);
  });

  it('supersede mode: an older waiter is told a newer run superseded it', async () => {
    await store.acquireLock(KEY, 'holder', supersede('p0'));
    expect(await store.acquireLock(KEY, 'run-old', supersede('p1'))).toMatchObject({ status: 'waiting' });
    expect(await store.acquireLock(KEY, 'run-new', supersede('p2'))).toMatchObject({
      status: 'waiting',
      holder: { owner: 'holder' },
    });
    expect(await store.acquireLock(KEY, 'run-old', supersede('p1'))).toEqual({ status: 'superseded', by: 'run-new' });
    expect(await ticketOwners()).toEqual(['run-new']);

    await store.releaseLock(KEY, 'holder');
    expect(await store.acquireLock(KEY, 'run-new', supersede('p2'))).toMatchObject({
      status: 'acquired',
      lock: { owner: 'run-new' },
    });
  });

  it('supersede mode: the newest waiter acquires first, and then supersedes older ones as holder', async () => {
    await store.acquireLock(KEY, 'holder', supersede('p0'));
    await store.acquireLock(KEY, 'run-old', supersede('p1'));
    await store.acquireLock(KEY, 'run-new', supersede('p2'));
    await store.releaseLock(KEY, 'holder');
    expect(await store.acquireLock(KEY, 'run-new', supersede('p2'))).toMatchObject({ status: 'acquired' });
    expect(await store.acquireLock(KEY, 'run-old', supersede('p1'))).toEqual({ status: 'superseded', by: 'run-new' });
  });

  it('takes over a lock whose lease ran out, naming the previous owner', async () => {
    await store.acquireLock(KEY, 'run-a', queue('p1', { leaseSeconds: 60 }), at(0));
    expect(await store.acquireLock(KEY, 'run-b', queue('p2'), at(60))).toMatchObject({
      status: 'waiting',
      holder: { owner: 'run-a', expired: false },
    });
    const takeover = await store.acquireLock(KEY, 'run-b', queue('p2', { leaseSeconds: 60 }), at(61));
    expect(takeover).toEqual({
      status: 'acquired',
      tookOverFrom: 'run-a',
      waitingSince: at(60).toISOString(),
      lock: {
        ...KEY,
        owner: 'run-b',
        acquiredAt: at(61).toISOString(),
        leaseExpiresAt: at(121).toISOString(),
        expired: false,
      },
    });
    // The old owner waking up late cannot release the new owner's lock.
    expect(await store.releaseLock(KEY, 'run-a')).toBe(false);
    expect((await store.getLock(KEY))?.owner).toBe('run-b');
  });

  it('no longer lets a dead waiter block the queue', async () => {
    await store.acquireLock(KEY, 'holder', queue('p0'), at(0));
    expect(await store.acquireLock(KEY, 'run-dead', queue('p1', { waiterTtlSeconds: 300 }), at(0))).toMatchObject({
      status: 'waiting',
    });
    await store.releaseLock(KEY, 'holder');

    // Still alive 300 s after it last asked.
    expect(await store.acquireLock(KEY, 'run-b', queue('p2', { waiterTtlSeconds: 300 }), at(300))).toEqual({
      status: 'waiting',
      ahead: 1,
      waitingSince: at(300).toISOString(),
    });
    const result = await store.acquireLock(KEY, 'run-b', queue('p2', { waiterTtlSeconds: 300 }), at(301));
    expect(result).toMatchObject({ status: 'acquired', lock: { owner: 'run-b' } });
    expect(result).not.toHaveProperty('tookOverFrom');
    expect(await ticketOwners()).toEqual([]);
  });

  it('a waiter that asks again stays in the queue', async () => {
    await store.acquireLock(KEY, 'holder', queue('p0'), at(0));
    await store.acquireLock(KEY, 'run-a', queue('p1'), at(0));
    await store.acquireLock(KEY, 'run-a', queue('p1'), at(250));
    await store.releaseLock(KEY, 'holder');
    expect(await store.acquireLock(KEY, 'run-b', queue('p2'), at(400))).toEqual({
      status: 'waiting',
      ahead: 1,
      waitingSince: at(400).toISOString(),
    });
  });

  it('re-entrant acquire renews the lease and keeps acquiredAt', async () => {
    await store.acquireLock(KEY, 'run-a', queue('p1', { leaseSeconds: 60 }), at(0));
    const renewed = await store.acquireLock(KEY, 'run-a', queue('p1', { leaseSeconds: 60 }), at(50));
    expect(renewed).toEqual({
      status: 'acquired',
      // The holder asking again has no ticket left from its first acquire: this ask is its first.
      waitingSince: at(50).toISOString(),
      lock: {
        ...KEY,
        owner: 'run-a',
        acquiredAt: at(0).toISOString(),
        leaseExpiresAt: at(110).toISOString(),
        expired: false,
      },
    });
    expect(await store.acquireLock(KEY, 'run-b', queue('p2'), at(100))).toMatchObject({ status: 'waiting' });
  });

  it('queue mode: an older run arriving while a newer one holds the lock is superseded, and the holder renews', async () => {
    await store.acquireLock(KEY, 'run-b', queue('p2', { leaseSeconds: 60 }), at(0));
    expect(await store.acquireLock(KEY, 'run-a', queue('p1'), at(10))).toEqual({ status: 'superseded', by: 'run-b' });
    expect(await store.acquireLock(KEY, 'run-b', queue('p2', { leaseSeconds: 60 }), at(20))).toMatchObject({
      status: 'acquired',
      lock: { leaseExpiresAt: at(80).toISOString() },
    });
    expect(await ticketOwners()).toEqual([]);
  });

  it('a released lock keeps its high-water mark out of reach of TTL', async () => {
    await store.acquireLock(KEY, 'run-new', queue('p2'), at(0));
    await store.releaseLock(KEY, 'run-new');
    const { Items = [] } = await DynamoDBDocumentClient.from(dynamo.client).send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': keys.lockKey(KEY).pk, ':sk': keys.lockKey(KEY).sk },
      }),
    );
    expect(Items).toHaveLength(1);
    expect(Items[0]).toMatchObject({ lastPosition: 'p2', lastOwner: 'run-new' });
    expect(Items[0]).not.toHaveProperty('expiresAt');
    expect(Items[0]).not.toHaveProperty('owner');
  });

  it('queue mode: an older run arriving after a newer one deployed and released never applies over it', async () => {
    await store.acquireLock(KEY, 'run-new', queue('p2'), at(0));
    expect(await store.releaseLock(KEY, 'run-new')).toBe(true);
    expect(await store.getLock(KEY, at(1))).toBeUndefined();
    expect(await store.acquireLock(KEY, 'run-old', queue('p1'), at(2))).toEqual({
      status: 'superseded',
      by: 'run-new',
    });
    // A newer run still gets the released lock.
    expect(await store.acquireLock(KEY, 'run-newer', queue('p3'), at(3))).toMatchObject({ status: 'acquired' });
  });

  it('leaveQueue and releaseLock drop the owner from the queue', async () => {
    await store.acquireLock(KEY, 'holder', queue('p0'));
    await store.acquireLock(KEY, 'run-1', queue('p1'));
    await store.acquireLock(KEY, 'run-2', queue('p2'));
    await store.acquireLock(KEY, 'run-3', queue('p3'));
    expect((await ticketOwners()).sort()).toEqual(['run-1', 'run-2', 'run-3']);

    await store.leaveQueue(KEY, 'run-1');
    // Not the holder: nothing released, but its place in the queue is gone.
    expect(await store.releaseLock(KEY, 'run-2')).toBe(false);
    expect(await ticketOwners()).toEqual(['run-3']);
    await store.releaseLock(KEY, 'holder');
    expect(await store.acquireLock(KEY, 'run-3', queue('p3'))).toMatchObject({ status: 'acquired' });
  });

  it('keeps locks of other targets apart', async () => {
    await store.acquireLock(KEY, 'run-a', queue('p1'));
    expect(await store.acquireLock({ ...KEY, environment: 'staging' }, 'run-b', queue('p2'))).toMatchObject({
      status: 'acquired',
    });
    expect(await store.acquireLock({ ...KEY, project: 'app' }, 'run-b', queue('p2'))).toMatchObject({
      status: 'acquired',
    });
  });
});
