import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Optional record fields arrive as `undefined`; DynamoDB has no such value, so they are left out. */
const TRANSLATE_CONFIG = { marshallOptions: { removeUndefinedValues: true } };

let defaultClient: DynamoDBDocumentClient | undefined;

/**
 * The document client the store talks through. Without an injected client, one per module (per warm
 * Lambda), created on first use; `new DynamoDBClient({})` takes the region from AWS_REGION and honours
 * AWS_ENDPOINT_URL_DYNAMODB, which is how the local stack points it at dynalite.
 * An injected DynamoDBDocumentClient is used as it is: give it `removeUndefinedValues: true`.
 */
export function documentClient(client?: DynamoDBDocumentClient | DynamoDBClient): DynamoDBDocumentClient {
  if (client instanceof DynamoDBDocumentClient) return client;
  if (client !== undefined) return DynamoDBDocumentClient.from(client, TRANSLATE_CONFIG);
  defaultClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), TRANSLATE_CONFIG);
  return defaultClient;
}
