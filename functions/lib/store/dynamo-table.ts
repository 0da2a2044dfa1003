import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Status } from '../status.ts';
import type { ItemOps } from './item-ops.ts';
import { changeStatusVia, createItemVia } from './item-writes.ts';
import type { ItemKey } from './keys.ts';

export { MAX_ATTEMPTS, pickStatusFields } from './item-writes.ts';

/** What every part of the DynamoDB store works with: the one table, and the clock for calls that pass no `now`. */
export interface DynamoTable {
  client: DynamoDBDocumentClient;
  tableName: string;
  clock: () => Date;
}

/** The item operations (item-ops.ts) over the document client. */
export function documentOps(table: DynamoTable): ItemOps {
  const { client, tableName: TableName } = table;
  return {
    async get(Key) {
      const { Item } = await client.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
      return Item;
    },
    async put(input) {
      await client.send(new PutCommand({ TableName, ...input }));
    },
    async update(input) {
      const { Attributes } = await client.send(new UpdateCommand({ TableName, ...input, ReturnValues: 'ALL_NEW' }));
      return Attributes ?? {};
    },
    async delete(input) {
      await client.send(new DeleteCommand({ TableName, ...input }));
    },
  };
}

/** One item, read consistently. */
export async function getItem(table: DynamoTable, Key: ItemKey): Promise<Record<string, unknown> | undefined> {
  return documentOps(table).get(Key);
}

/** Put that only creates: a second create of the same record is a caller's bug or a repeated step. */
export async function createItem(
  table: DynamoTable,
  Item: Record<string, unknown> & ItemKey,
  record: string,
): Promise<void> {
  return createItemVia(documentOps(table), Item, record);
}

/** Moves a run or target to `to` (item-writes.ts changeStatusVia). */
export async function changeStatus(
  table: DynamoTable,
  Key: ItemKey,
  record: string,
  to: Status,
  fields: Record<string, unknown>,
  now: Date,
): Promise<Record<string, unknown>> {
  return changeStatusVia(documentOps(table), Key, record, to, fields, now);
}
