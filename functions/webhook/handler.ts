import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { createLambdaCommandInvoker } from '../lib/runtime/clients/lambda-command-invoker.ts';
import { createWebhookClients, type WebhookClients } from '../lib/runtime/clients/webhook.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { getConfiguredSecret } from '../lib/secrets.ts';
import { createDynamoStore } from '../lib/store/dynamo-store.ts';
import { createIntake } from '../lib/webhook/intake.ts';
import type { IntakeOptions } from '../lib/webhook/intake.ts';
import { createSfnWorkflow } from '../lib/workflow/sfn-workflow.ts';
import { readWebhookConfig, type WebhookConfig } from './config.ts';

/** The fields of an API Gateway HTTP API (payload format 2.0) event the intake reads. */
const HttpApiEvent = z.object({
  rawPath: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
});

export type WebhookHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HandlerDeps extends Omit<IntakeOptions, 'logger'> {
  logger?: Logger;
}

/** The Lambda handler around the intake; tests build one with their own store and workflow. */
export function createHandler(deps: HandlerDeps): WebhookHandler {
  const logger = deps.logger ?? functionLogger('webhook');
  const intake = createIntake({ ...deps, logger });
  return async function handler(event, context) {
    // Adds the Lambda request id and cold-start flag to every line.
    if (context) logger.addContext(context);
    const parsed = HttpApiEvent.safeParse(event);
    if (!parsed.success) {
      logger.warn('not an HTTP API v2 event', { issues: parsed.error.issues.length });
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
    return json(response.statusCode, response.body, response.headers);
  };
}

function json(statusCode: number, body: unknown, headers?: Record<string, string>): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * What the deployed handler runs with: the store and the workflow over the webhook's own clients,
 * which give up in time (runtime/clients/webhook.ts), and the secrets read on the first delivery, not at cold
 * start (the Parameters utility caches them for minutes).
 */
export function webhookDeps(config: WebhookConfig, clients: WebhookClients = createWebhookClients()): HandlerDeps {
  return {
    store: createDynamoStore({ tableName: config.tableName, client: clients.dynamodb }),
    workflow: createSfnWorkflow({ stateMachineArn: config.stateMachineArn, client: clients.sfn }),
    secrets: () =>
      Promise.all([
        getConfiguredSecret({ valueEnv: 'WEBHOOK_SECRET', parameterEnv: 'WEBHOOK_SECRET_PARAMETER' }),
        getConfiguredSecret({
          valueEnv: 'WEBHOOK_SECRET_PREVIOUS',
          parameterEnv: 'WEBHOOK_SECRET_PREVIOUS_PARAMETER',
          optional: true,
        }),
      ]),
    allowedRepos: config.allowedRepos,
    ...(config.commandsFunctionName === undefined
      ? {}
      : {
          commands: createLambdaCommandInvoker({ functionName: config.commandsFunctionName, client: clients.lambda }),
        }),
    ...(config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes }),
    ...(config.paths === undefined ? {} : { paths: config.paths }),
  };
}

// The configuration is checked at cold start, so a bad deployment fails there, naming the variable.
export const handler: WebhookHandler = createHandler(webhookDeps(readWebhookConfig()));
