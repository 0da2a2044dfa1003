import type { AwsAction } from './aws-services.ts';

/**
 * A failed AWS call: `code` is the service's error code (`ConditionalCheckFailedException`,
 * `ExecutionAlreadyExists`, `ThrottlingException`, …; `TimeoutError` or `NetworkError` when no
 * answer came), `statusCode` the HTTP status when there was one. The message names the action and
 * the code, never a request body or a signature.
 */
export class AwsCallError extends Error {
  readonly action: AwsAction;
  readonly code: string;
  readonly statusCode: number | undefined;

  constructor(
    action: AwsAction,
    code: string,
    message: string,
    options: { statusCode?: number | undefined; cause?: unknown } = {},
  ) {
    super(`${action} failed: ${code}${message ? `: ${message}` : ''}`, { cause: options.cause });
    this.name = new.target.name;
    this.action = action;
    this.code = code;
    this.statusCode = options.statusCode;
  }
}

/** The AWS error code of a failure, however deep it was wrapped (a StoreError's cause, say). */
export function awsErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof AwsCallError) return current.code;
  }
  return undefined;
}
