import { PushgateError } from '../../functions/lib/errors.ts';

/** Step Functions API error codes the local stand-in answers with (`__type` of the JSON 1.0 protocol). */
export type StepFunctionsErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidArn'
  | 'InvalidDefinition'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'StateMachineAlreadyExists'
  | 'StateMachineDoesNotExist'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException';

/**
 * An error the local Step Functions returns to its caller, carrying the API error code so the server
 * answers `{ "__type": code }` and the AWS SDK raises the same exception class as against AWS.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 */
export class LocalStepFunctionsError extends PushgateError {
  constructor(
    readonly code: StepFunctionsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A failure of a Task state as the workflow sees it. Its `name` is the ASL error name that Retry and
 * Catch `ErrorEquals` match (e.g. `DynamoDB.ConditionalCheckFailedException`, `States.TaskFailed`,
 * or a Lambda's errorType) and its `message` is the Cause, which is how aws-local-stepfunctions
 * builds the `{ Error, Cause }` a Catch passes on.
 */
export class StatesTaskError extends PushgateError {
  constructor(
    readonly error: string,
    readonly causeText: string,
    options?: { cause?: unknown },
  ) {
    super(causeText, options);
    this.name = error;
  }
}
