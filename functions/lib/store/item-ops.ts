import type { ItemKey } from './keys.ts';

/**
 * The item operations on the one table that the writes shared by both stores (item-writes.ts,
 * delivery-writes.ts, run-writes.ts) make, in the document client's terms (plain values, not
 * attribute values). dynamo-table.ts gives them over @aws-sdk/lib-dynamodb; the webhook gives them
 * over its light client (functions/lib/webhook/fetch-intake-store.ts), so both write the same items.
 * A write whose condition fails throws an error that isConditionalCheckFailed (store-call.ts) knows.
 */
export interface ItemOps {
  /** One item, read consistently. */
  get(Key: ItemKey): Promise<Record<string, unknown> | undefined>;
  put(input: {
    Item: Record<string, unknown> & ItemKey;
    ConditionExpression?: string;
    ExpressionAttributeValues?: Record<string, unknown>;
  }): Promise<void>;
  /** Returns the item as it is after the update (ReturnValues ALL_NEW). */
  update(input: {
    Key: ItemKey;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  }): Promise<Record<string, unknown>>;
  delete(input: {
    Key: ItemKey;
    ConditionExpression?: string;
    ExpressionAttributeValues?: Record<string, unknown>;
  }): Promise<void>;
}
