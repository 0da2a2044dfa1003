import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskResumer, TaskResumeResult } from '../../functions/lib/approval/types.ts';
import { handOver } from '../../functions/lib/locks/hand-over.ts';
import type { TaskHeartbeat, TaskHeartbeatResult } from '../../functions/lib/locks/heartbeat-parked.ts';
import { sweepLocks } from '../../functions/lib/locks/sweep-locks.ts';
import { createDynamoStore } from '../../functions/lib/store/index.ts';
import type { Store, TargetKey } from '../../functions/lib/store/types.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../helpers/dynalite.ts';

// The lock sweep's heartbeats (issue 12) against the real store on dynalite: every parked ticket's
// token gets SendTaskHeartbeat each tick, and a token Step Functions no longer knows marks its ticket
// dead. Step Functions itself (HeartbeatSeconds, States.HeartbeatTimeout back to AcquireLock) is
// locks-heartbeat.test.ts.

const NETWORK: TargetKey = { repo: 'octo/infra', project: 'network', environment: 'prod' };
const DNS: TargetKey = { repo: 'octo/other', project: 'dns', environment: 'staging' };
const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let dynamo: RunningDynalite;
let store: Store;

/** Heartbeats as Step Functions would answer them: a token in `gone` is answered with that error's name. */
class RecordingHeartbeats implements TaskHeartbeat {
  readonly beaten: string[] = [];
  readonly gone = new Map<string, string>();
  onBeat?: (token: string) => Promise<void>;
  async heartbeat(token: string): Promise<TaskHeartbeatResult> {
    await this.onBeat?.(token);
    const answer = this.gone.get(token);
    if (answer !== undefined) return { alive: false, answer };
    this.beaten.push(token);
    return { alive: true };
  }
}

class RecordingResumer implements TaskResumer {
  readonly succeeded: string[] = [];
  async succeed(token: string): Promise<TaskResumeResult> {
    this.succeeded.push(token);
    return { resumed: true };
  }
  async fail(): Promise<TaskResumeResult> {
    return { resumed: true };
  }
}

/** A run that asked at `seconds` and parked on `token-<owner>`, waiting an hour. */
async function park(key: TargetKey, owner: string, position: string, seconds: number) {
  const asked = await store.acquireLock(key, owner, { leaseSeconds: 600, position, mode: 'queue' }, at(seconds));
  expect(asked.status).toBe('waiting');
  expect(await store.parkTicket(key, { owner, position }, `token-${owner}`, at(seconds + 3600), at(seconds))).toBe(
    true,
  );
}

function sweep(heartbeats: TaskHeartbeat, tasks: TaskResumer, seconds: number) {
  return sweepLocks({
    store,
    heartbeats,
    handOver: (key) => handOver(key, { store, tasks, now: () => at(seconds) }),
  });
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

describe('the lock sweep heartbeats parked runs', () => {
  it("sends a heartbeat to every parked ticket's token, in every repository; held locks stay held", async () => {
    await store.acquireLock(NETWORK, 'holder-1', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await store.acquireLock(DNS, 'holder-2', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await park(NETWORK, 'run-1', 'p1', 1);
    await park(NETWORK, 'run-2', 'p2', 2);
    await park(DNS, 'run-3', 'p1', 3);
    const heartbeats = new RecordingHeartbeats();
    const tasks = new RecordingResumer();
    const result = await sweep(heartbeats, tasks, 10);
    expect(heartbeats.beaten.sort()).toEqual(['token-run-1', 'token-run-2', 'token-run-3']);
    expect(result.heartbeats).toEqual({ beaten: 3, dead: [], failed: [] });
    expect(result).toMatchObject({ locks: 2, handedTo: [] });
    expect(tasks.succeeded).toEqual([]);
    // Heartbeats change nothing in the table: the same runs are parked, in the same order.
    expect((await store.lockQueue(NETWORK, at(10))).tickets.map((t) => [t.owner, t.taskToken])).toEqual([
      ['run-1', 'token-run-1'],
      ['run-2', 'token-run-2'],
    ]);
  });

  it('lists the parked tickets with their keys and tokens, and not a ticket whose run was resumed', async () => {
    await store.acquireLock(NETWORK, 'holder', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await park(NETWORK, 'run-1', 'p1', 1);
    await park(NETWORK, 'run-2', 'p2', 2);
    await store.ticketResumed(NETWORK, { owner: 'run-1', position: 'p1', taskToken: 'token-run-1' }, at(3));
    expect(await store.listParkedTickets()).toEqual([
      { key: NETWORK, owner: 'run-2', position: 'p2', taskToken: 'token-run-2' },
    ]);
  });

  it('a token Step Functions no longer knows marks its ticket dead: the lock goes to the next live run', async () => {
    await store.acquireLock(NETWORK, 'holder', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await park(NETWORK, 'run-1', 'p1', 1);
    await park(NETWORK, 'run-2', 'p2', 2);
    await park(NETWORK, 'run-3', 'p3', 3);
    await store.releaseLock(NETWORK, 'holder');
    const heartbeats = new RecordingHeartbeats();
    // run-1 was stopped (its execution ended), run-2's wait timed out: each answer means "nobody waits".
    heartbeats.gone.set('token-run-1', 'TaskDoesNotExist');
    heartbeats.gone.set('token-run-2', 'TaskTimedOut');
    // A resume of a dead run's token would look successful to this resumer: only the heartbeat tells.
    const tasks = new RecordingResumer();
    const result = await sweep(heartbeats, tasks, 10);
    expect(result.heartbeats).toEqual({ beaten: 1, dead: ['run-1', 'run-2'], failed: [] });
    expect(result.handedTo).toEqual(['run-3']);
    expect(tasks.succeeded).toEqual(['token-run-3']);
    expect(await store.getLock(NETWORK, at(10))).toMatchObject({ owner: 'run-3', reserved: true });
    expect((await store.lockQueue(NETWORK, at(10))).tickets.map((t) => t.owner)).toEqual(['run-3']);
    expect(await store.listParkedTickets()).toEqual([]);
  });

  it('an invalid token marks its ticket dead too; a ticket parked again meanwhile on a new token stays', async () => {
    await store.acquireLock(NETWORK, 'holder', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await park(NETWORK, 'run-1', 'p1', 1);
    await park(NETWORK, 'run-2', 'p2', 2);
    const heartbeats = new RecordingHeartbeats();
    heartbeats.gone.set('token-run-1', 'InvalidToken');
    heartbeats.gone.set('token-run-2', 'TaskTimedOut');
    // run-2 came back through AcquireLock and parked on a new token while its old one was answered.
    heartbeats.onBeat = async (token) => {
      if (token !== 'token-run-2') return;
      await store.acquireLock(NETWORK, 'run-2', { leaseSeconds: 600, position: 'p2', mode: 'queue' }, at(5));
      await store.parkTicket(NETWORK, { owner: 'run-2', position: 'p2' }, 'token-run-2-again', at(3600), at(5));
    };
    const result = await sweep(heartbeats, new RecordingResumer(), 10);
    expect(result.heartbeats?.dead.sort()).toEqual(['run-1', 'run-2']);
    expect((await store.lockQueue(NETWORK, at(10))).tickets.map((t) => [t.owner, t.taskToken])).toEqual([
      ['run-2', 'token-run-2-again'],
    ]);
  });

  it('a heartbeat that fails otherwise (throttled) is reported and changes nothing; the handoff still runs', async () => {
    await store.acquireLock(NETWORK, 'holder', { leaseSeconds: 600, position: 'p0', mode: 'queue' }, at(0));
    await park(NETWORK, 'run-1', 'p1', 1);
    class ThrottlingError extends Error {
      override name = 'ThrottlingException';
    }
    const heartbeats: TaskHeartbeat = {
      heartbeat: async () => {
        throw new ThrottlingError('Rate exceeded');
      },
    };
    const result = await sweep(heartbeats, new RecordingResumer(), 10);
    expect(result.heartbeats).toEqual({
      beaten: 0,
      dead: [],
      failed: [{ key: NETWORK, owner: 'run-1', error: 'ThrottlingException' }],
    });
    expect(result).toMatchObject({ locks: 1, handedTo: [] });
    expect((await store.lockQueue(NETWORK, at(10))).tickets.map((t) => t.owner)).toEqual(['run-1']);
  });
});
