import { PushgateError } from '../../functions/lib/errors.ts';

/** CodeBuild API error codes the local stand-in answers with (the `__type` of the JSON 1.1 protocol). */
export type CodeBuildErrorCode =
  'InvalidInputException' | 'ResourceNotFoundException' | 'AccountLimitExceededException';

/**
 * An error the local CodeBuild returns to its caller, named by the API error code so the server can
 * answer `{ "__type": code }` and the AWS SDK raises the same exception class as against AWS.
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/CommonErrors.html
 */
export class LocalCodeBuildError extends PushgateError {
  constructor(
    readonly code: CodeBuildErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The buildspec could not be read or is not a buildspec 0.2 CodeBuild would accept. */
export class BuildspecError extends PushgateError {}

/** The buildspec named by an S3 ARN could not be downloaded (no such object, no access, no S3). */
export class BuildspecDownloadError extends PushgateError {}

/** The local CodeBuild was configured with a value it cannot use (e.g. PUSHGATE_LOCAL_BUILD_CONCURRENCY). */
export class LocalCodeBuildConfigError extends PushgateError {}

/** A build would wait in a queue that already holds as many builds as CodeBuild allows. */
export class BuildQueueFullError extends PushgateError {
  constructor(readonly queueLimit: number) {
    // CodeBuild's own words (StartBuild's AccountLimitExceededException).
    super(`Cannot have more than ${queueLimit} builds in queue for the account`);
  }
}
