import type { AwsClient } from './create-aws-client.ts';
import { AwsCallError } from './aws-call-error.ts';
import { AWS_SERVICES, operationOf, serviceOf, type AwsAction } from './aws-services.ts';

/**
 * One call of a JSON-protocol API (DynamoDB, Step Functions, SSM, Secrets Manager): the operation
 * is the action's (`dynamodb:PutItem` → `X-Amz-Target: DynamoDB_20120810.PutItem`), so the action a
 * call site names is the one it sends. https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 */
export async function awsJson<T = Record<string, unknown>>(
  client: AwsClient,
  action: AwsAction,
  input: Record<string, unknown>,
): Promise<T> {
  const service = AWS_SERVICES[serviceOf(action)];
  if (service.target === undefined) throw new AwsCallError(action, 'ConfigurationError', 'not a JSON-protocol service');
  const answer = await client.send(action, {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': `application/x-amz-json-${service.json}`,
      'x-amz-target': `${service.target}.${operationOf(action)}`,
    },
    body: JSON.stringify(input),
  });
  try {
    return (answer.body === '' ? {} : JSON.parse(answer.body)) as T;
  } catch (error) {
    throw new AwsCallError(action, 'SerializationError', 'the answer is not JSON', {
      statusCode: answer.statusCode,
      cause: error,
    });
  }
}
