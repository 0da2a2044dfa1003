import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;

let dynamo: RunningDynalite;
let store: Store;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = createDynamoStore({
    tableName: await createTestTable(dynamo.client),
    client: dynamo.client,
    clock: () => T0,
  });
});

describe('acceptDelivery (access pattern 1)', () => {
  it('accepts a delivery once and names the accepting run afterwards', async () => {
    expect(await store.acceptDelivery('d-1', 'run-a')).toEqual({ accepted: true });
    expect(await store.acceptDelivery('d-1', 'run-b')).toEqual({ accepted: false, runId: 'run-a' });
    expect(await store.acceptDelivery('d-2', 'run-b')).toEqual({ accepted: true });
  });

  it("a retry of the accepting put (its answer lost to a timeout) is still that run's acceptance, not a duplicate", async () => {
    expect(await store.acceptDelivery('d-1', 'run-a')).toEqual({ accepted: true });
    expect(await store.acceptDelivery('d-1', 'run-a')).toEqual({ accepted: true });
    expect(await store.acceptDelivery('d-1', 'run-b')).toEqual({ accepted: false, runId: 'run-a' });
  });

  it('accepts exactly one of 20 concurrent calls for the same delivery', async () => {
    const runIds = Array.from({ length: 20 }, (_, i) => `run-${i}`);
    const results = await Promise.all(runIds.map((runId) => store.acceptDelivery('d-race', runId)));
    const winners = runIds.filter((_, i) => results[i]?.accepted);
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (!result.accepted) expect(result.runId).toBe(winners[0]);
    }
  });

  it('accepts an expired delivery again, even while TTL has not deleted it', async () => {
    await store.acceptDelivery('d-1', 'run-a', T0);
    const justBefore = new Date(T0.getTime() + 7 * DAY);
    expect(await store.acceptDelivery('d-1', 'run-b', justBefore)).toEqual({ accepted: false, runId: 'run-a' });
    const after = new Date(T0.getTime() + 7 * DAY + 1000);
    expect(await store.acceptDelivery('d-1', 'run-b', after)).toEqual({ accepted: true });
    expect(await store.acceptDelivery('d-1', 'run-c', after)).toEqual({ accepted: false, runId: 'run-b' });
  });

  it('forgetDelivery frees the delivery for a redelivery', async () => {
    await store.acceptDelivery('d-1', 'run-a');
    await store.forgetDelivery('d-1', 'run-a');
    expect(await store.acceptDelivery('d-1', 'run-b')).toEqual({ accepted: true });
  });

  it('forgetDelivery by another run leaves the acceptance in place', async () => {
    await store.acceptDelivery('d-1', 'run-a');
    await store.forgetDelivery('d-1', 'run-b');
    await store.forgetDelivery('d-unknown', 'run-b');
    expect(await store.acceptDelivery('d-1', 'run-c')).toEqual({ accepted: false, runId: 'run-a' });
  });
});
