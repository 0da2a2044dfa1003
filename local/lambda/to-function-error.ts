/** The body of a function error, as the Node.js runtime writes it. */
export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/**
 * Turns whatever a handler threw into the runtime's error payload: an Error keeps its `name` as
 * `errorType` (what Step Functions matches in `ErrorEquals`), anything else is reported by type,
 * as the runtime does for `throw 'text'`.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
 */
export function toFunctionError(error: unknown): FunctionErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? `${error.name}: ${error.message}`).split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}
