import { PushgateError } from '../../functions/lib/errors.ts';

/** CloudWatch Logs error codes the local stand-in answers with (the `__type` of the JSON 1.1 protocol). */
export type LogsErrorCode =
  | 'InvalidParameterException'
  | 'ResourceNotFoundException'
  | 'ResourceAlreadyExistsException'
  | 'LimitExceededException';

/**
 * An error the local CloudWatch Logs returns to its caller, named by the API error code so that the
 * server answers `{ "__type": code }` and the AWS SDK raises the same exception class as against AWS.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html
 */
export class LocalLogsError extends PushgateError {
  constructor(
    readonly code: LogsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
