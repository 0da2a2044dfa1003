import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createConfiguredSecretReader } from '../lib/runtime/aws-fetch/configured-secret-fetch.ts';
import { createFetchCommandInvoker } from '../lib/runtime/aws-fetch/lambda-command-invoker-fetch.ts';
import { createFetchSfnWorkflow } from '../lib/runtime/aws-fetch/sfn-workflow-fetch.ts';
import { createWebhookClients, type WebhookClients } from '../lib/runtime/clients/webhook.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { functionMetrics, METRIC, type MetricsSink } from '../lib/runtime/metrics.ts';
import { createIntake } from '../lib/webhook/intake.ts';
import type { IntakeOptions } from '../lib/webhook/intake.ts';
import { createIntakeStore } from '../lib/webhook/intake-store.ts';
import * as z from '../lib/webhook/zod-mini.ts';
import { readWebhookConfig, type WebhookConfig } from './config.ts';

/** The fields of an API Gateway HTTP API (payload format 2.0) event the intake reads. */
const HttpApiEvent = z.object({
  rawPath: z.string(),
  headers: z.optional(z.record(z.string(), z.string())),
  body: z.optional(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
});

export type WebhookHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HandlerDeps extends Omit<IntakeOptions, 'logger'> {
  logger?: Logger;
  /** Where `WebhookDeliveries` goes; default: the function's (runtime/metrics.ts, EMF on Lambda only). */
  metrics?: MetricsSink;
}

/** The Lambda handler around the intake; tests build one with their own store and workflow. */
export function createHandler(deps: HandlerDeps): WebhookHandler {
  const logger = deps.logger ?? functionLogger('webhook');
  const metrics = deps.metrics ?? functionMetrics('webhook', { logger });
  const intake = createIntake({ ...deps, logger });
  /** One `WebhookDeliveries` per request, by its outcome (the dashboard and alarms read it). */
  const countDelivery = (outcome: string) => {
    metrics.count(METRIC.webhookDeliveries, { outcome });
    metrics.flush();
  };
  return async function handler(event, context) {
    // Adds the Lambda request id and cold-start flag to every line.
    if (context) logger.addContext(context);
    const parsed = HttpApiEvent.safeParse(event);
    if (!parsed.success) {
      logger.warn('not an HTTP API v2 event', { issues: parsed.error.issues.length });
      countDelivery('rejected');
      return json(400, { error: 'not an API Gateway HTTP API (v2) event' });
    }
    const { rawPath, headers, body, isBase64Encoded, requestContext } = parsed.data;
    const response = await intake({
      method: requestContext.http.method,
      path: rawPath,
      headers: headers ?? {},
      body: body ?? '',
      isBase64Encoded: isBase64Encoded ?? false,
    });
    // Appended and removed without an await in between, so concurrent requests never mix their keys.
    logger.appendKeys({ deliveryId: response.deliveryId, runId: response.runId });
    logger.info('webhook delivery', {
      statusCode: response.statusCode,
      outcome: response.outcome,
      event: response.event,
      reason: response.reason,
    });
    logger.removeKeys(['deliveryId', 'runId']);
    countDelivery(response.outcome);
    return json(response.statusCode, response.body, response.headers);
  };
}

function json(statusCode: number, body: unknown, headers?: Record<string, string>): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * What the deployed handler runs with: the intake's store, the workflow, the secrets and the commands
 * hand-over over the webhook's light AWS client (runtime/clients/webhook.ts: signed requests over
 * `fetch`, which give up in time), not the AWS SDK, whose clients were most of the bundle and of the
 * cold start (bench/cold-start.bench.ts). The secrets are read on the first delivery, not at cold
 * start, and kept for minutes.
 */
export function webhookDeps(config: WebhookConfig, clients: WebhookClients = createWebhookClients()): HandlerDeps {
  const secret = createConfiguredSecretReader(clients.aws);
  return {
    store: createIntakeStore({ tableName: config.tableName, client: clients.aws }),
    workflow: createFetchSfnWorkflow({ stateMachineArn: config.stateMachineArn, client: clients.aws }),
    secrets: () =>
      Promise.all([
        secret({ valueEnv: 'WEBHOOK_SECRET', parameterEnv: 'WEBHOOK_SECRET_PARAMETER' }),
        secret({
          valueEnv: 'WEBHOOK_SECRET_PREVIOUS',
          parameterEnv: 'WEBHOOK_SECRET_PREVIOUS_PARAMETER',
          optional: true,
        }),
      ]),
    allowedRepos: config.allowedRepos,
    ...(config.commandsFunctionName === undefined
      ? {}
      : { commands: createFetchCommandInvoker({ functionName: config.commandsFunctionName, client: clients.aws }) }),
    ...(config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes }),
    ...(config.paths === undefined ? {} : { paths: config.paths }),
  };
}

// The configuration is checked at cold start, so a bad deployment fails there, naming the variable.
export const handler: WebhookHandler = createHandler(webhookDeps(readWebhookConfig()));
