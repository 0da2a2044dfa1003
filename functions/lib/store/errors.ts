import { PushgateError } from '../errors.ts';
import type { Status } from '../status.ts';

/** Base of every store error; also wraps an unexpected DynamoDB failure (the SDK error is its `cause`). */
export class StoreError extends PushgateError {}

/** The record a status change or notification names does not exist. */
export class NotFoundError extends StoreError {
  readonly record: string;

  constructor(record: string, options?: { cause?: unknown }) {
    super(`${record} not found`, options);
    this.record = record;
  }
}

/** A create (createRun, putTarget) found the record already there; creates are never silent overwrites. */
export class AlreadyExistsError extends StoreError {
  readonly record: string;

  constructor(record: string, options?: { cause?: unknown }) {
    super(`${record} already exists`, options);
    this.record = record;
  }
}

/** A status change the lifecycle (functions/lib/status.ts) does not allow; the record is left as it was. */
export class InvalidTransitionError extends StoreError {
  readonly record: string;
  readonly from: Status;
  readonly to: Status;

  constructor(record: string, from: Status, to: Status, options?: { cause?: unknown }) {
    super(`${record}: cannot go from ${from} to ${to}`, options);
    this.record = record;
    this.from = from;
    this.to = to;
  }
}
