import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { toDocumentClient } from './dynamodb.ts';

/**
 * The webhook function has 10 s. Without request timeouts a hung DynamoDB or Step Functions call
 * would run into the Lambda timeout, where no catch runs and the delivery would stay accepted without
 * a run. Two attempts of at most 2 s each: even when Step Functions hangs for both the start and the
 * DescribeExecution that asks whether a lost start happened (4 s + 4 s), the intake still answers 503
 * inside GitHub's 10 s, so that GitHub's redelivery retries the push.
 * `requestTimeout` alone only logs a warning: `throwOnRequestTimeout` makes it fail the request. The
 * SDK builds its NodeHttpHandler (@smithy/node-http-handler) from these options.
 * https://github.com/smithy-lang/smithy-typescript/blob/main/packages/types/src/http/httpHandlerInitialization.ts
 */
const WEBHOOK_CLIENT_CONFIG = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
};

export interface WebhookClients {
  dynamodb: DynamoDBDocumentClient;
  sfn: SFNClient;
  /** Hands comment commands to the commands function. */
  lambda: LambdaClient;
}

/**
 * The webhook's own clients, which give up in time (WEBHOOK_CLIENT_CONFIG); the handler builds them
 * once, at cold start. `config` is laid over each client's configuration: tests point them at a
 * loopback endpoint.
 */
export function createWebhookClients(
  config: { dynamodb?: DynamoDBClientConfig; sfn?: SFNClientConfig; lambda?: LambdaClientConfig } = {},
): WebhookClients {
  return {
    dynamodb: toDocumentClient(new DynamoDBClient({ ...WEBHOOK_CLIENT_CONFIG, ...config.dynamodb })),
    sfn: new SFNClient({ ...WEBHOOK_CLIENT_CONFIG, ...config.sfn }),
    lambda: new LambdaClient({ ...WEBHOOK_CLIENT_CONFIG, ...config.lambda }),
  };
}
