/**
 * The Step Functions quotas the local Step Functions enforces, with the errors AWS gives.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (States.DataLimitExceeded)
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html
 */

/** Maximum input or output size of a task, state or execution: 256 KiB of UTF-8 JSON text. */
export const PAYLOAD_LIMIT_BYTES = 262_144;

/** Maximum number of events in an execution's history (a hard quota). */
export const HISTORY_EVENT_LIMIT = 25_000;

export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

/** The error and cause an execution fails with when it reaches a quota; no Catch sees it. */
export interface LimitFailure {
  error: string;
  cause: string;
}

/** Size of a value as the JSON text Step Functions counts, in UTF-8 bytes. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

export function exceedsPayloadLimit(value: unknown): boolean {
  return payloadBytes(value) > PAYLOAD_LIMIT_BYTES;
}

/** AWS's cause for a result over the quota; `name` is the state's name, or the task's resource. */
export function dataLimitCause(name: string): string {
  return `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`;
}

/** A state's input (after Parameters) over the quota: AWS documents the error, not its wording; this is ours. */
export function inputLimitFailure(stateName: string): LimitFailure {
  return {
    error: DATA_LIMIT_EXCEEDED,
    cause: `The state/task '${stateName}' was given an input with a size exceeding the maximum number of bytes service limit (${PAYLOAD_LIMIT_BYTES} bytes).`,
  };
}

export function outputLimitFailure(stateName: string): LimitFailure {
  return { error: DATA_LIMIT_EXCEEDED, cause: dataLimitCause(stateName) };
}

/** The execution's failure at its 25,000th event, as AWS reports it. */
export const HISTORY_LIMIT_FAILURE: LimitFailure = {
  error: 'States.Runtime',
  cause: `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`,
};
