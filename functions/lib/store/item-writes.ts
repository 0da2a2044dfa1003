import { canTransition, type Status } from '../status.ts';
import { AlreadyExistsError, InvalidTransitionError, NotFoundError } from './errors.ts';
import type { ItemOps } from './item-ops.ts';
import type { ItemKey } from './keys.ts';
import { statusUpdate } from './status-update.ts';
import { isConditionalCheckFailed } from './store-call.ts';

/** Re-reads after a lost race (a delivery forgotten, a status moved) before giving up. */
export const MAX_ATTEMPTS = 3;

/** Put that only creates: a second create of the same record is a caller's bug or a repeated step. */
export async function createItemVia(
  ops: ItemOps,
  Item: Record<string, unknown> & ItemKey,
  record: string,
): Promise<void> {
  try {
    await ops.put({ Item, ConditionExpression: 'attribute_not_exists(pk)' });
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new AlreadyExistsError(record, { cause: error });
    throw error;
  }
}

/**
 * Moves a run or target to `to` with one conditional update (status-update.ts); when the condition
 * fails, the item is read again to tell a missing record, a refused transition and a lost race apart.
 */
export async function changeStatusVia(
  ops: ItemOps,
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
        return await ops.update({ Key, ...update });
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    const current = await ops.get(Key);
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
