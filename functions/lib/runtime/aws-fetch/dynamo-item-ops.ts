import type { ItemOps } from '../../store/item-ops.ts';
import { awsJson } from './aws-json.ts';
import { fromAttributeMap, toAttributeMap, type AttributeValue } from './attribute-value.ts';
import type { AwsClient } from './create-aws-client.ts';

type AttributeMap = Record<string, AttributeValue>;

/**
 * The store's item operations (store/item-ops.ts) on one table over the light client: the same
 * requests the document client sends, in DynamoDB's JSON protocol.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB.html
 */
export function dynamoItemOps(client: AwsClient, TableName: string): ItemOps {
  const values = (input: { ExpressionAttributeValues?: Record<string, unknown> }) =>
    input.ExpressionAttributeValues === undefined
      ? {}
      : { ExpressionAttributeValues: toAttributeMap(input.ExpressionAttributeValues) };
  return {
    async get(Key) {
      const { Item } = await awsJson<{ Item?: AttributeMap }>(client, 'dynamodb:GetItem', {
        TableName,
        Key: toAttributeMap(Key),
        ConsistentRead: true,
      });
      return Item === undefined ? undefined : fromAttributeMap(Item);
    },
    async put(input) {
      await awsJson(client, 'dynamodb:PutItem', {
        TableName,
        ...input,
        Item: toAttributeMap(input.Item),
        ...values(input),
      });
    },
    async update(input) {
      const { Attributes } = await awsJson<{ Attributes?: AttributeMap }>(client, 'dynamodb:UpdateItem', {
        TableName,
        ...input,
        Key: toAttributeMap(input.Key),
        ...values(input),
        ReturnValues: 'ALL_NEW',
      });
      return Attributes === undefined ? {} : fromAttributeMap(Attributes);
    },
    async delete(input) {
      await awsJson(client, 'dynamodb:DeleteItem', {
        TableName,
        ...input,
        Key: toAttributeMap(input.Key),
        ...values(input),
      });
    },
  };
}
