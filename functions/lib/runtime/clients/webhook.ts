import { createAwsClient, type AwsClient, type AwsClientOptions } from '../aws-fetch/create-aws-client.ts';

/**
 * The webhook function has 10 s. Without request timeouts a hung DynamoDB or Step Functions call
 * would run into the Lambda timeout, where no catch runs and the delivery would stay accepted without
 * a run. Two attempts of at most 2 s each: even when Step Functions hangs for both the start and the
 * DescribeExecution that asks whether a lost start happened (4 s + 4 s), the intake still answers 503
 * inside GitHub's 10 s, so that GitHub's redelivery retries the push.
 */
const WEBHOOK_CLIENT_CONFIG = { maxAttempts: 2, timeoutMs: 2_000 } satisfies AwsClientOptions;

export interface WebhookClients {
  /**
   * DynamoDB, Step Functions, SSM and Lambda, signed requests over `fetch` (runtime/aws-fetch): the
   * AWS SDK v3 clients were some 500 KB of the webhook's bundle and most of its cold start
   * (bench/cold-start.bench.ts).
   */
  aws: AwsClient;
}

/**
 * The webhook's client, which gives up in time (WEBHOOK_CLIENT_CONFIG); the handler builds it once,
 * at cold start. `options` lay over the configuration: tests give an `env` with loopback endpoints
 * (AWS_ENDPOINT_URL_<SERVICE>) and credentials.
 */
export function createWebhookClients(options: AwsClientOptions = {}): WebhookClients {
  return { aws: createAwsClient({ ...WEBHOOK_CLIENT_CONFIG, ...options }) };
}
