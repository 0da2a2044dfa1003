import type { CommandInvoker } from '../../commands/command-invoker.ts';
import { PushgateError } from '../../errors.ts';
import type { AwsClient } from './create-aws-client.ts';

export class CommandInvokeError extends PushgateError {}

/**
 * The CommandInvoker over Lambda's REST API with the light client: an asynchronous Invoke (`Event`,
 * answered 202 once Lambda queued it) of the commands function. Needs `lambda:InvokeFunction` on it.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export function createFetchCommandInvoker(options: { functionName: string; client: AwsClient }): CommandInvoker {
  const path = `/2015-03-31/functions/${encodeURIComponent(options.functionName)}/invocations`;
  return {
    async invoke(request) {
      const answer = await options.client.send('lambda:InvokeFunction', {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
        body: JSON.stringify(request),
      });
      if (answer.statusCode !== 202) {
        throw new CommandInvokeError(`Lambda did not queue the command (status ${answer.statusCode})`);
      }
    },
  };
}
