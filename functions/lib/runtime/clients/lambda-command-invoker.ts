import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CommandInvoker } from '../../commands/command-invoker.ts';
import { PushgateError } from '../../errors.ts';

export class CommandInvokeError extends PushgateError {}

/**
 * The CommandInvoker over Lambda: an asynchronous Invoke (`Event`, answered 202 once Lambda queued
 * it) of the commands function. Needs `lambda:InvokeFunction` on that function.
 */
export function createLambdaCommandInvoker(options: { functionName: string; client: LambdaClient }): CommandInvoker {
  return {
    async invoke(request) {
      const output = await options.client.send(
        new InvokeCommand({
          FunctionName: options.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
      );
      if (output.StatusCode !== 202) {
        throw new CommandInvokeError(`Lambda did not queue the command (status ${output.StatusCode ?? 'none'})`);
      }
    },
  };
}
