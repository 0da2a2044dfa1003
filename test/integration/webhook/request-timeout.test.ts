import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readWebhookConfig } from '../../../functions/webhook/config.ts';
import { createWebhookClients } from '../../../functions/lib/runtime/clients/webhook.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import {
  startStepFunctions,
  type LocalStepFunctionsServer,
} from '../../../local/stepfunctions/start-step-functions.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { githubExample } from '../../helpers/github-examples.ts';
import { githubDelivery } from '../../helpers/sign.ts';

// The webhook handler as deployed (its factory, its configuration, its own clients with their request
// timeouts), with DynamoDB behind a loopback endpoint that accepts connections and never answers: the
// hung call must fail in time for the handler to answer 503, not run into the Lambda's 10 s, and the
// delivery must stay free, so GitHub's redelivery starts the run once DynamoDB answers again.

const SECRET = 'timeout-test-secret';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A TCP endpoint in front of `target` that, while stalled, accepts every connection and never answers. */
async function stallingEndpoint(target: string) {
  const upstream = new URL(target);
  let stalled = true;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((socket) => {
    track(socket);
    if (stalled) return;
    const forward = connect(Number(upstream.port), upstream.hostname);
    track(forward);
    socket.pipe(forward).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    recover() {
      stalled = false;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let dynamo: RunningDynalite;
let sfn: LocalStepFunctionsServer;
let endpoint: Awaited<ReturnType<typeof stallingEndpoint>>;
let store: Store;
let clients: ReturnType<typeof createWebhookClients>;
let handler: Awaited<ReturnType<typeof buildHandler>>;

async function buildHandler(tableName: string, stateMachineArn: string) {
  const env = {
    PUSHGATE_LOCAL: '1',
    TABLE_NAME: tableName,
    STATE_MACHINE_ARN: stateMachineArn,
    ALLOWED_REPOS: 'codertocat/*',
    WEBHOOK_SECRET: SECRET,
    AWS_REGION: 'us-east-1',
  };
  // handler.ts checks the environment when it is imported, as on a cold start.
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const { createHandler, webhookDeps } = await import('../../../functions/webhook/handler.ts');
  clients = createWebhookClients({
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint.url,
      AWS_ENDPOINT_URL_SFN: sfn.url,
    },
  });
  return createHandler({
    ...webhookDeps(readWebhookConfig(), clients),
    logger: new Logger({ serviceName: 'pushgate-webhook-test', logLevel: 'SILENT' }),
  });
}

beforeAll(async () => {
  dynamo = await startDynalite();
  const tableName = await createTestTable(dynamo.client);
  store = createDynamoStore({ tableName, client: dynamo.client });
  sfn = await startStepFunctions({ credentials });
  const { stateMachineArn } = sfn.stepFunctions.createStateMachine('pushgate-timeout-test', {
    StartAt: 'Done',
    States: { Done: { Type: 'Succeed' } },
  });
  endpoint = await stallingEndpoint(dynamo.endpoint);
  handler = await buildHandler(tableName, stateMachineArn!);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await endpoint?.stop();
  await sfn?.stop();
  await dynamo?.stop();
});

describe('webhook handler: a DynamoDB that never answers', () => {
  it(
    'answers 503 instead of running into the Lambda timeout, and the redelivery starts the run',
    { timeout: 15_000 },
    async () => {
      const deliveryId = randomUUID();
      const delivery = githubDelivery({
        secret: SECRET,
        event: 'push',
        payload: githubExample('push', (payload) => payload.ref === 'refs/heads/master' && payload.head_commit),
        deliveryId,
      });

      const hung = await handler(delivery);
      expect(hung.statusCode).toBe(503);
      expect(JSON.parse(hung.body!)).toEqual({ error: 'store unavailable; redeliver to retry' });

      endpoint.recover();
      const redelivered = await handler(delivery);
      expect(redelivered.statusCode).toBe(202);
      const { runId } = JSON.parse(redelivered.body!) as { runId: string };
      expect(await store.getRun(runId)).toMatchObject({ runId, deliveryId, status: 'queued' });
    },
  );
});
