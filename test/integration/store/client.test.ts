import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStore, StoreError } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

let dynamo: RunningDynalite;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  process.env = saved;
  await dynamo.stop();
});

describe('createDynamoStore clients', () => {
  it('without a client, reaches DynamoDB through the standard AWS_ENDPOINT_URL_DYNAMODB', async () => {
    const tableName = await createTestTable(dynamo.client);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const store = createDynamoStore({ tableName });
    expect(await store.acceptDelivery('d-1', 'run-a')).toEqual({ accepted: true });
    const other = createDynamoStore({ tableName, client: dynamo.client });
    expect(await other.acceptDelivery('d-1', 'run-b')).toEqual({ accepted: false, runId: 'run-a' });
  });

  it('uses an injected document client as it is', async () => {
    const tableName = await createTestTable(dynamo.client);
    const client = DynamoDBDocumentClient.from(dynamo.client, { marshallOptions: { removeUndefinedValues: true } });
    const store = createDynamoStore({ tableName, client });
    await store.createRun({
      runId: 'r1',
      repo: 'octo/infra',
      kind: 'push',
      ref: 'refs/heads/main',
      branch: 'main',
      sha: 'a'.repeat(40),
      actor: 'octocat',
      deliveryId: 'd-1',
      commitMessage: undefined,
    });
    expect((await store.getRun('r1'))?.status).toBe('queued');
  });

  it('wraps an unexpected DynamoDB failure in a StoreError that keeps the cause', async () => {
    const store = createDynamoStore({ tableName: 'no-such-table', client: dynamo.client });
    const error = await store.getRun('r1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ name: 'StoreError', cause: { name: 'ResourceNotFoundException' } });
  });
});
