import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/index.ts';
import { createIntake } from '../../../functions/lib/webhook/intake.ts';
import type { IntakeOptions } from '../../../functions/lib/webhook/intake.ts';
import type { IntakeRequest } from '../../../functions/lib/webhook/types.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';
import { githubExample } from '../../helpers/github-examples.ts';
import { createMemoryWorkflow } from '../../helpers/memory-workflow.ts';
import type { MemoryWorkflow } from '../../helpers/memory-workflow.ts';
import { sign } from '../../helpers/sign.ts';

// The store is real (DynamoDB on dynalite). Step Functions is an in-memory Workflow double: there is no
// local Step Functions endpoint in the repository yet.

const SECRET = 'integration-secret';
const logger = new Logger({ serviceName: 'pushgate-webhook-test', logLevel: 'SILENT' });

let dynamo: RunningDynalite;
let store: Store;
let workflow: MemoryWorkflow;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
});
afterAll(() => dynamo?.stop());
beforeEach(() => {
  workflow = createMemoryWorkflow();
});

function intake(overrides: Partial<IntakeOptions> = {}) {
  return createIntake({ store, workflow, secrets: [SECRET], allowedRepos: ['codertocat/*'], logger, ...overrides });
}

function pushDelivery(deliveryId: string): IntakeRequest {
  const body = JSON.stringify(githubExample('push', (p) => p.ref === 'refs/heads/master' && p.head_commit));
  return {
    method: 'POST',
    path: '/webhook',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': sign(SECRET, body),
    },
    body,
    isBase64Encoded: false,
  };
}

describe('webhook intake on DynamoDB (dynalite)', () => {
  it('starts exactly one execution for 20 concurrent deliveries of the same event', async () => {
    const deliveryId = randomUUID();
    const run = intake();
    const responses = await Promise.all(Array.from({ length: 20 }, () => run(pushDelivery(deliveryId))));

    const started = responses.filter((response) => response.statusCode === 202);
    const duplicates = responses.filter((response) => response.statusCode === 200);
    expect(started).toHaveLength(1);
    expect(duplicates).toHaveLength(19);
    const runId = started[0]!.body.runId;
    for (const duplicate of duplicates) expect(duplicate.body).toEqual({ duplicate: true, runId });
    expect(workflow.started.size).toBe(1);

    const record = await store.getRun(runId as string);
    expect(record).toMatchObject({
      runId,
      deliveryId,
      status: 'queued',
      kind: 'push',
      executionArn: started[0]!.body.executionArn,
    });
  });

  it('answers 503 when the store is unreachable, and a redelivery succeeds once it is back', async () => {
    const deliveryId = randomUUID();
    // A DynamoDB endpoint nobody listens on: a real connection failure, not a mock.
    const unreachable = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const down = createDynamoStore({ tableName: 'unused', client: unreachable });
    const response = await intake({ store: down })(pushDelivery(deliveryId));
    unreachable.destroy();
    expect(response).toMatchObject({ statusCode: 503, body: { error: 'store unavailable; redeliver to retry' } });
    expect(workflow.started.size).toBe(0);

    const retry = await intake()(pushDelivery(deliveryId));
    expect(retry.statusCode).toBe(202);
    expect(workflow.started.size).toBe(1);
  });

  it('answers 503 when the run cannot be recorded, forgets the delivery, and a redelivery succeeds', async () => {
    const deliveryId = randomUUID();
    const failing = intake({
      store: {
        ...store,
        createRun: async () => {
          throw new Error('InternalServerError');
        },
      },
    });
    expect((await failing(pushDelivery(deliveryId))).statusCode).toBe(503);
    const retry = await intake()(pushDelivery(deliveryId));
    expect(retry.statusCode).toBe(202);
    expect(await store.getRun(retry.body.runId as string)).toMatchObject({ status: 'queued', deliveryId });
  });

  it('answers 503 when Step Functions fails, records the run as failed, and a redelivery succeeds', async () => {
    const deliveryId = randomUUID();
    let failedRunId: string | undefined;
    const failing = intake({
      workflow: {
        ...workflow,
        start: async (input) => {
          failedRunId = input.runId;
          throw new Error('ServiceUnavailable');
        },
      },
    });
    const response = await failing(pushDelivery(deliveryId));
    expect(response).toMatchObject({
      statusCode: 503,
      body: { error: 'could not start the workflow; redeliver to retry' },
    });
    expect(await store.getRun(failedRunId!)).toMatchObject({
      status: 'failed',
      reason: 'the workflow did not start: ServiceUnavailable',
    });

    const retry = await intake()(pushDelivery(deliveryId));
    expect(retry.statusCode).toBe(202);
    expect(retry.body.runId).not.toBe(failedRunId);
    expect(workflow.started.size).toBe(1);
    const again = await intake()(pushDelivery(deliveryId));
    expect(again.body).toEqual({ duplicate: true, runId: retry.body.runId });
  });
});
