import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient, toDocumentClient } from '../runtime/clients/dynamodb.ts';
import { createDynamoDeliveries } from './dynamo-deliveries.ts';
import { createDynamoDeployments } from './dynamo-deployments.ts';
import { createDynamoLocks } from './dynamo-locks.ts';
import { createDynamoRuns } from './dynamo-runs.ts';
import type { DynamoTable } from './dynamo-table.ts';
import { createDynamoTargets } from './dynamo-targets.ts';
import type { Store } from './types.ts';

/**
 * The Store (functions/lib/store/types.ts) over one DynamoDB table, one part per slice; item design
 * in keys.ts. Without a client it uses the function's shared one (runtime/clients/dynamodb.ts), which honours
 * AWS_ENDPOINT_URL_DYNAMODB; an injected DynamoDBDocumentClient is used as it is (give it
 * `removeUndefinedValues: true`). `clock` supplies `now` where a call does not pass one (tests pass
 * it instead of sleeping).
 */
export function createDynamoStore(options: {
  tableName: string;
  client?: DynamoDBDocumentClient | DynamoDBClient;
  clock?: () => Date;
}): Store {
  const table: DynamoTable = {
    client: options.client === undefined ? dynamoDocumentClient() : toDocumentClient(options.client),
    tableName: options.tableName,
    clock: options.clock ?? (() => new Date()),
  };
  return {
    ...createDynamoDeliveries(table),
    ...createDynamoRuns(table),
    ...createDynamoTargets(table),
    ...createDynamoDeployments(table),
    ...createDynamoLocks(table),
  };
}
