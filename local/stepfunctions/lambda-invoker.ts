import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PushgateError } from '../../functions/lib/errors.ts';
import { toFunctionError, type FunctionErrorPayload } from '../lambda/to-function-error.ts';

export type InvocationType = 'RequestResponse' | 'Event';

/**
 * Calls a Lambda function by name and resolves with its result. It rejects with LambdaFunctionError
 * for a function error and LambdaServiceError for a failure of the Lambda service; anything else it
 * throws is taken as the function's own error, which is what an in-process handler throws.
 */
export type InvokeLambda = (
  functionName: string,
  payload: unknown,
  options?: { invocationType?: InvocationType },
) => Promise<unknown>;

/** The function ran and failed (Invoke answered with `FunctionError`); `payload` is the runtime's error body. */
export class LambdaFunctionError extends PushgateError {
  constructor(readonly payload: FunctionErrorPayload) {
    super(payload.errorMessage);
  }
}

/** Lambda itself refused or failed the call (unknown function, throttling, …); `code` is the API error. */
export class LambdaServiceError extends PushgateError {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

let defaultClient: LambdaClient | undefined;

/** An InvokeLambda over the Lambda API (AWS_ENDPOINT_URL_LAMBDA points it at the local Lambda). */
export function createLambdaInvoker(client?: LambdaClient): InvokeLambda {
  return async (functionName, payload, options) => {
    const lambda = client ?? (defaultClient ??= new LambdaClient({}));
    const invocationType = options?.invocationType ?? 'RequestResponse';
    let result;
    try {
      result = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: invocationType,
          Payload: Buffer.from(JSON.stringify(payload ?? null)),
        }),
      );
    } catch (error) {
      const name = error instanceof Error ? error.name : 'ServiceException';
      throw new LambdaServiceError(name, error instanceof Error ? error.message : String(error), { cause: error });
    }
    if (invocationType === 'Event') return null;
    const text = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
    let body: unknown;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = text;
    }
    if (result.FunctionError) throw new LambdaFunctionError(asFunctionError(body, result.FunctionError));
    return body;
  };
}

/**
 * The Error and Cause Step Functions reports for a failed Lambda task: the function's errorType,
 * with the runtime's error body as Cause; a service failure is `Lambda.<Exception>`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export function lambdaTaskError(error: unknown): { error: string; cause: string } {
  if (error instanceof LambdaServiceError) return { error: `Lambda.${error.code}`, cause: error.message };
  const payload = error instanceof LambdaFunctionError ? error.payload : toFunctionError(error);
  return {
    error: payload.errorType,
    cause: JSON.stringify({ errorMessage: payload.errorMessage, errorType: payload.errorType, trace: payload.trace }),
  };
}

function asFunctionError(body: unknown, functionError: string): FunctionErrorPayload {
  const object = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return {
    errorType: typeof object.errorType === 'string' ? object.errorType : `Lambda.${functionError}`,
    errorMessage: typeof object.errorMessage === 'string' ? object.errorMessage : typeof body === 'string' ? body : '',
    trace: Array.isArray(object.trace) ? object.trace.map(String) : [],
  };
}
