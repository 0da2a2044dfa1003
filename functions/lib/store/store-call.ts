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
    // The AWS error code: the SDK's errors are named by it, the light client's (runtime/aws-fetch) carry it.
    const code = (error as { code?: unknown } | undefined)?.code;
    const name = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
    throw new StoreError(`${operation} failed: ${name}`, { cause: error });
  }
}

/**
 * A conditional write whose condition did not hold: an expected outcome, not a failure. The SDK
 * names the error by its code; the webhook's light client (runtime/aws-fetch) carries it as `code`.
 */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ConditionalCheckFailedException' ||
      (error as { code?: unknown }).code === 'ConditionalCheckFailedException')
  );
}
