import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canTransition, type Status } from '../status.ts';
import { AlreadyExistsError, InvalidTransitionError, NotFoundError } from './errors.ts';
import type { ItemKey } from './keys.ts';
import { statusUpdate } from './status-update.ts';
import { isConditionalCheckFailed } from './store-call.ts';

/** What every part of the DynamoDB store works with: the one table, and the clock for calls that pass no `now`. */
export interface DynamoTable {
  client: DynamoDBDocumentClient;
  tableName: string;
  clock: () => Date;
}

/** Re-reads after a lost race (a delivery forgotten, a status moved) before giving up. */
export const MAX_ATTEMPTS = 3;

/** One item, read consistently. */
export async function getItem(table: DynamoTable, Key: ItemKey): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key, ConsistentRead: true }));
  return Item;
}

/** Put that only creates: a second create of the same record is a caller's bug or a repeated step. */
export async function createItem(
  table: DynamoTable,
  Item: Record<string, unknown> & ItemKey,
  record: string,
): Promise<void> {
  try {
    await table.client.send(
      new PutCommand({ TableName: table.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new AlreadyExistsError(record, { cause: error });
    throw error;
  }
}

/**
 * Moves a run or target to `to` with one conditional update (status-update.ts); when the condition
 * fails, the item is read again to tell a missing record, a refused transition and a lost race apart.
 */
export async function changeStatus(
  table: DynamoTable,
  Key: ItemKey,
  record: string,
  to: Status,
  fields: Record<string, unknown>,
  now: Date,
): Promise<Record<string, unknown>> {
  const update = statusUpdate(to, fields, now.toISOString());
  for (let attempt = 1; ; attempt++) {
    if (update !== undefined) {
      try {
        const { Attributes } = await table.client.send(
          new UpdateCommand({ TableName: table.tableName, Key, ...update, ReturnValues: 'ALL_NEW' }),
        );
        return Attributes ?? {};
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    const current = await getItem(table, Key);
    if (current === undefined) throw new NotFoundError(record);
    const from = current.status as Status;
    // The status moved between our write and our read to one that allows `to`: try again.
    if (update === undefined || !canTransition(from, to) || attempt >= MAX_ATTEMPTS) {
      throw new InvalidTransitionError(record, from, to);
    }
  }
}

/** The fields a status change may set besides the status, every one of them (undefined ones are skipped). */
export function pickStatusFields(fields: object | undefined, allowed: Record<string, true>): Record<string, unknown> {
  const source = (fields ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(allowed).map((field) => [field, source[field]]));
}
