import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { captured } from './capture.ts';
import { lazy } from './lazy.ts';

/** Optional record fields arrive as `undefined`; DynamoDB has no such value, so they are left out. */
const TRANSLATE_CONFIG = { marshallOptions: { removeUndefinedValues: true } };

/**
 * The document client for a DynamoDB client. A DynamoDBDocumentClient is used as it is: give it
 * `removeUndefinedValues: true`.
 */
export function toDocumentClient(client: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  return client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client, TRANSLATE_CONFIG);
}

/**
 * The record table's client, the store's default, traced (X-Ray) where the function loads the tracer. Region and credentials come from the SDK's usual
 * configuration; AWS_ENDPOINT_URL_DYNAMODB points it at the local stack's dynalite.
 */
export const dynamoDocumentClient = lazy(() => toDocumentClient(captured(new DynamoDBClient({}))));
