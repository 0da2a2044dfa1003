/** Throttling codes the SDK retries (@smithy/service-error-classification's THROTTLING_ERROR_CODES). */
const THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorVersionNumberException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** Whether an AWS answer is worth a second attempt: throttling or a server-side failure, never a client error. */
export function isRetryableAnswer(statusCode: number, code: string): boolean {
  return statusCode >= 500 || statusCode === 429 || THROTTLING_CODES.has(code);
}
