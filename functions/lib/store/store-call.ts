import { PushgateError } from '../errors.ts';
import { StoreError } from './errors.ts';

/**
 * Runs one store operation, turning an unexpected failure (throttling past the SDK's retries, access
 * denied, a missing table) into a StoreError that keeps the SDK error as `cause`, so the workflow
 * matches one stable name. Errors the store raises on purpose pass through unchanged.
 */
export async function storeCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PushgateError) throw error;
    const name = error instanceof Error ? error.name : 'unknown error';
    throw new StoreError(`${operation} failed: ${name}`, { cause: error });
  }
}

/** A conditional write whose condition did not hold: an expected outcome, not a failure. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
