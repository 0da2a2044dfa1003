import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../functions/lib/runtime/aws-fetch/create-aws-client.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import type { IntakeStore } from '../../../functions/lib/webhook/intake.ts';
import { createIntakeStore } from '../../../functions/lib/webhook/intake-store.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';

// The webhook's light store (signed JSON over fetch, no SDK) against the full store (SDK document
// client): the same intake scenarios run against each on its own dynalite table, and the tables must
// end up holding the same items, attribute types included; the full store then reads the light
// store's writes back.

const T0 = new Date('2026-03-01T12:00:00.000Z');
const WEEK_AND_A_DAY = 8 * 24 * 60 * 60 * 1000;

let dynamo: RunningDynalite;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});

async function fullStore(): Promise<{ store: IntakeStore; tableName: string }> {
  const tableName = await createTestTable(dynamo.client);
  return { store: createDynamoStore({ tableName, client: dynamo.client, clock: () => T0 }), tableName };
}

async function lightStore(): Promise<{ store: IntakeStore; tableName: string }> {
  const tableName = await createTestTable(dynamo.client);
  const client = createAwsClient({
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: dynamo.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: dynamo.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    },
  });
  return { store: createIntakeStore({ tableName, client, clock: () => T0 }), tableName };
}

const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: (error as Error).name, message: (error as Error).message }),
  );

/** What the intake does to the store, in the orders it does it; every answer, errors by name. */
async function scenarios(store: IntakeStore): Promise<unknown[]> {
  const run = {
    runId: '01RUNA',
    repo: 'codertocat/hello-world',
    kind: 'push' as const,
    ref: 'refs/heads/main',
    branch: 'main',
    sha: 'a'.repeat(40),
    actor: 'codertocat',
    deliveryId: 'delivery-1',
    status: 'queued' as const,
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:pushgate-deploy:x',
    pullRequest: 7,
    commitMessage: 'a message with "quotes", ünïcode and a\nnewline',
  };
  return [
    await outcome(store.acceptDelivery('delivery-1', '01RUNA', T0)),
    await outcome(store.acceptDelivery('delivery-1', '01RUNB', T0)),
    await outcome(store.createRun(run, T0)),
    await outcome(store.createRun(run, T0)),
    await outcome(
      store.setRunStatus('01RUNA', 'failed', { reason: 'the workflow did not start', executionArn: undefined }, T0),
    ),
    await outcome(store.setRunStatus('01RUNA', 'running', {}, T0)),
    await outcome(store.setRunStatus('01MISSING', 'cancelled', { reason: 'a duplicate' }, T0)),
    await outcome(store.setRunStatus('01RUNA', 'queued', {}, T0)),
    // Only the accepting run gives a delivery back.
    await outcome(store.forgetDelivery('delivery-1', '01RUNB')),
    await outcome(store.acceptDelivery('delivery-1', '01RUNC', T0)),
    await outcome(store.forgetDelivery('delivery-1', '01RUNA')),
    await outcome(store.acceptDelivery('delivery-1', '01RUND', T0)),
    // A delivery past its TTL counts as gone even while DynamoDB has not removed it.
    await outcome(store.acceptDelivery('delivery-2', '01RUNE', T0)),
    await outcome(store.acceptDelivery('delivery-2', '01RUNF', new Date(T0.getTime() + WEEK_AND_A_DAY))),
    await outcome(store.forgetDelivery('delivery-never-accepted', '01RUNG')),
    await outcome(store.createRun({ ...run, runId: '01RUNH', deliveryId: 'delivery-3', executionArn: undefined }, T0)),
    await outcome(store.setRunStatus('01RUNH', 'cancelled', { reason: 'a duplicate of run 01RUNA' }, T0)),
    await outcome(store.acceptDelivery('bad#id', '01RUNI', T0)),
  ];
}

async function items(tableName: string): Promise<unknown[]> {
  const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.sort((a, b) => `${a.pk?.S}${a.sk?.S}`.localeCompare(`${b.pk?.S}${b.sk?.S}`));
}

describe('the webhook light intake store against the full store', () => {
  it('answers every intake scenario alike, and leaves the same items (keys, attributes, types, TTL)', async () => {
    const full = await fullStore();
    const light = await lightStore();

    const expected = await scenarios(full.store);
    const actual = await scenarios(light.store);

    expect(actual).toEqual(expected);
    // The scenarios reach each branch: a refused create, a refused transition, a missing run, a bad key.
    expect(expected.map((entry) => (entry as { error?: string }).error).filter(Boolean)).toEqual([
      'AlreadyExistsError',
      'InvalidTransitionError',
      'NotFoundError',
      'InvalidTransitionError',
      'StoreError',
    ]);
    const fullItems = await items(full.tableName);
    expect(fullItems.length).toBeGreaterThanOrEqual(4);
    expect(await items(light.tableName)).toEqual(fullItems);
  });

  it("writes what the full store reads back: the light store's run and delivery", async () => {
    const light = await lightStore();
    const reader: Store = createDynamoStore({ tableName: light.tableName, client: dynamo.client, clock: () => T0 });
    await light.store.acceptDelivery('delivery-9', '01RUNZ', T0);
    await light.store.createRun(
      {
        runId: '01RUNZ',
        repo: 'codertocat/hello-world',
        kind: 'push',
        ref: 'refs/heads/main',
        branch: 'main',
        sha: 'b'.repeat(40),
        actor: 'codertocat',
        deliveryId: 'delivery-9',
        status: 'queued',
      },
      T0,
    );
    await light.store.setRunStatus('01RUNZ', 'failed', { reason: 'no start' }, T0);

    expect(await reader.getRun('01RUNZ')).toEqual({
      runId: '01RUNZ',
      repo: 'codertocat/hello-world',
      kind: 'push',
      ref: 'refs/heads/main',
      branch: 'main',
      sha: 'b'.repeat(40),
      actor: 'codertocat',
      deliveryId: 'delivery-9',
      status: 'failed',
      reason: 'no start',
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
      finishedAt: T0.toISOString(),
    });
    expect(await reader.findRunsBySha('codertocat/hello-world', 'b'.repeat(40))).toHaveLength(1);
    expect(await reader.acceptDelivery('delivery-9', '01OTHER', T0)).toEqual({ accepted: false, runId: '01RUNZ' });
  });
});
