import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricName, MetricsSink } from '../../../functions/lib/runtime/metrics.ts';
import {
  createPowertoolsMetrics,
  createPowertoolsMetricsSink,
  METRIC,
} from '../../../functions/lib/runtime/metrics.ts';
import { createWebhookClients } from '../../../functions/lib/runtime/clients/webhook.ts';
import { githubExamples } from '../../helpers/github-examples.ts';
import { createMemoryStore, type MemoryStore } from '../../helpers/memory-store.ts';
import { createMemoryWorkflow, type MemoryWorkflow } from '../../helpers/memory-workflow.ts';
import { githubDelivery } from '../../helpers/sign.ts';

const SECRET = 'metrics-test-secret';

// handler.ts reads and checks its configuration when it is imported, as on a Lambda cold start.
Object.assign(process.env, {
  PUSHGATE_LOCAL: '1',
  TABLE_NAME: 'pushgate-metrics-test',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:pushgate-deploy',
  ALLOWED_REPOS: 'codertocat/*',
  WEBHOOK_SECRET: SECRET,
  AWS_REGION: 'eu-west-1',
});
const { createHandler, webhookDeps } = await import('../../../functions/webhook/handler.ts');

const silent = () => new Logger({ serviceName: 'pushgate-webhook-test', logLevel: 'SILENT' });

interface Recorded {
  name: MetricName;
  dimensions?: Record<string, string>;
}

function recordingSink(): MetricsSink & { counted: Recorded[]; flushes: number } {
  const sink = {
    counted: [] as Recorded[],
    flushes: 0,
    count(name: MetricName, dimensions?: Record<string, string>) {
      sink.counted.push({ name, ...(dimensions ? { dimensions } : {}) });
    },
    seconds() {
      throw new Error('the webhook records no durations');
    },
    flush() {
      sink.flushes++;
    },
  };
  return sink;
}

const pushToMaster = () => githubExamples('push').find((p) => p.ref === 'refs/heads/master' && p.head_commit)!;

describe('webhook handler: WebhookDeliveries', () => {
  let store: MemoryStore;
  let workflow: MemoryWorkflow;
  beforeEach(() => {
    store = createMemoryStore();
    workflow = createMemoryWorkflow();
  });

  it('counts every request once, by the outcome it was answered with, and flushes each time', async () => {
    const metrics = recordingSink();
    const handler = createHandler({
      store,
      workflow,
      secrets: [SECRET],
      allowedRepos: ['codertocat/*'],
      logger: silent(),
      metrics,
    });
    const deliveryId = randomUUID();
    const push = githubDelivery({ secret: SECRET, event: 'push', payload: pushToMaster(), deliveryId });

    expect((await handler(push)).statusCode).toBe(202);
    expect((await handler(push)).statusCode).toBe(200);
    expect(
      (await handler(githubDelivery({ secret: 'wrong', event: 'push', payload: pushToMaster() }))).statusCode,
    ).toBe(401);
    expect((await handler(githubDelivery({ secret: SECRET, event: 'ping', payload: { zen: 'z' } }))).statusCode).toBe(
      200,
    );
    expect((await handler({ not: 'an http api event' } as never)).statusCode).toBe(400);

    expect(metrics.counted).toEqual(
      ['started', 'duplicate', 'rejected', 'ping', 'rejected'].map((outcome) => ({
        name: METRIC.webhookDeliveries,
        dimensions: { outcome },
      })),
    );
    expect(metrics.flushes).toBe(5);
  });

  it('counts a delivery the store could not take as unavailable', async () => {
    const metrics = recordingSink();
    const handler = createHandler({
      store: {
        ...store,
        acceptDelivery: () => Promise.reject(new Error('DynamoDB is down')),
      },
      workflow,
      secrets: [SECRET],
      allowedRepos: ['codertocat/*'],
      logger: silent(),
      metrics,
    });
    const result = await handler(githubDelivery({ secret: SECRET, event: 'push', payload: pushToMaster() }));
    expect(result.statusCode).toBe(503);
    expect(metrics.counted).toEqual([{ name: METRIC.webhookDeliveries, dimensions: { outcome: 'unavailable' } }]);
  });

  describe('through Powertools Metrics', () => {
    let written: string[];
    beforeEach(() => {
      written = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    });
    afterEach(() => vi.restoreAllMocks());

    it('writes one EMF line per request in namespace pushgate with the service, stage and outcome dimensions', async () => {
      const env = {
        POWERTOOLS_SERVICE_NAME: 'pushgate',
        POWERTOOLS_METRICS_NAMESPACE: 'pushgate',
        PUSHGATE_STAGE: 'prod',
      };
      const handler = createHandler({
        store,
        workflow,
        secrets: [SECRET],
        allowedRepos: ['codertocat/*'],
        logger: silent(),
        metrics: createPowertoolsMetricsSink(createPowertoolsMetrics({ env })),
      });
      await handler(githubDelivery({ secret: SECRET, event: 'push', payload: pushToMaster() }));
      vi.restoreAllMocks();

      const lines = written
        .join('')
        .split('\n')
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });
      expect(lines).toHaveLength(1);
      const [emf] = lines;
      expect(emf).toMatchObject({ service: 'pushgate', stage: 'prod', outcome: 'started', WebhookDeliveries: 1 });
      expect(emf!._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: 'pushgate',
          Dimensions: [expect.arrayContaining(['service', 'stage', 'outcome'])],
          Metrics: [{ Name: 'WebhookDeliveries', Unit: 'Count' }],
        },
      ]);
    });
  });
});

describe('webhook handler: the commands function', () => {
  // A loopback Lambda API that takes Invoke (`Event`) calls: the real client and transport, no AWS.
  const invocations: { path: string; type: string | undefined; body: unknown }[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      invocations.push({
        path: request.url ?? '',
        type: request.headers['x-amz-invocation-type'] as string | undefined,
        body: JSON.parse(body || 'null'),
      });
      response.writeHead(202).end();
    });
  });
  let endpoint: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('calls Lambda for a comment command only, handing it over with an Event invoke', async () => {
    const clients = createWebhookClients({
      env: {
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_LAMBDA: endpoint,
      },
    });
    const store = createMemoryStore();
    const deps = webhookDeps(
      {
        tableName: 'pushgate-metrics-test',
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:pushgate-deploy',
        allowedRepos: ['codertocat/*'],
        commandsFunctionName: 'pushgate-test-commands',
      },
      clients,
    );
    const handler = createHandler({
      ...deps,
      store,
      workflow: createMemoryWorkflow(),
      secrets: [SECRET],
      logger: silent(),
      metrics: recordingSink(),
    });

    await handler(githubDelivery({ secret: SECRET, event: 'push', payload: pushToMaster() }));
    expect(invocations).toHaveLength(0);

    const comment = structuredClone(githubExamples('issue_comment').find((p) => p.action === 'created')!);
    comment.issue.pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' };
    comment.comment.body = '/pushgate help';
    const result = await handler(githubDelivery({ secret: SECRET, event: 'issue_comment', payload: comment }));

    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body!)).toEqual({ command: 'help', accepted: true });
    expect(invocations).toHaveLength(1);
    expect(invocations[0]).toMatchObject({
      path: '/2015-03-31/functions/pushgate-test-commands/invocations',
      type: 'Event',
      body: { command: 'help' },
    });
  });
});
