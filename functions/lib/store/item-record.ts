import { KEY_ATTRIBUTES } from './keys.ts';

/** The record an item holds: the item without the attributes that only exist for the table. */
export function itemRecord<T>(item: Record<string, unknown>): T {
  const record: Record<string, unknown> = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete record[attribute];
  return record as T;
}

/**
 * Only the fields a record type declares: a caller passing a wider object (a whole RunRequest, say)
 * must not grow the item with data nobody reads. `fields` is a Record over every key of T, so adding
 * a field to the type fails to compile until it is listed here too.
 */
export function pickFields<T extends object>(value: T, fields: Record<keyof T, true>): Partial<T> {
  const picked: Partial<T> = {};
  for (const field of Object.keys(fields) as (keyof T)[]) {
    if (value[field] !== undefined) picked[field] = value[field];
  }
  return picked;
}
