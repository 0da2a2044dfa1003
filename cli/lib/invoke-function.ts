import { CliUsageError } from './cli-usage-error.ts';

/** What a pushgate function answered an invoke: its JSON text, and the error type when it threw. */
export interface FunctionAnswer {
  text: string;
  /** Lambda's FunctionError (`Unhandled`) when the function threw; `text` is then its error as JSON. */
  functionError?: string;
}

/**
 * Invokes one of pushgate's functions the way the CLI's commands that act through a function do
 * (rollback, drift): RequestResponse, the payload as JSON. The usual first-time mistakes come back
 * with what to do next: an unknown function is a usage error (the stage or `--function`), a denied
 * invoke names the permission (and `deniedHint`, what else the caller needs).
 */
export async function invokeFunction(functionName: string, payload: unknown, deniedHint = ''): Promise<FunctionAnswer> {
  // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient({});
  try {
    const output = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const text = new TextDecoder().decode(output.Payload ?? new Uint8Array());
    return { text, ...(output.FunctionError ? { functionError: output.FunctionError } : {}) };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'ResourceNotFoundException') {
      throw new CliUsageError(
        `there is no function ${functionName}: give the stage (--stage <stage> or PUSHGATE_STAGE) or the function (--function)`,
      );
    }
    if (name === 'AccessDeniedException') {
      throw new Error(
        `your AWS identity may not invoke ${functionName}: ask for lambda:InvokeFunction on it${deniedHint}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    client.destroy();
  }
}
