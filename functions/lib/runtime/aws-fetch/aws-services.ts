/**
 * The AWS services the light client (create-aws-client.ts) calls, by IAM service prefix: how the SDK
 * names each for its endpoint variable (`AWS_ENDPOINT_URL_<serviceId>`), its default host, its SigV4
 * signing name and, for the JSON protocols, the X-Amz-Target prefix and content type.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export const AWS_SERVICES = {
  dynamodb: {
    serviceId: 'DYNAMODB',
    host: 'dynamodb',
    signingName: 'dynamodb',
    target: 'DynamoDB_20120810',
    json: '1.0',
  },
  states: { serviceId: 'SFN', host: 'states', signingName: 'states', target: 'AWSStepFunctions', json: '1.0' },
  ssm: { serviceId: 'SSM', host: 'ssm', signingName: 'ssm', target: 'AmazonSSM', json: '1.1' },
  secretsmanager: {
    serviceId: 'SECRETS_MANAGER',
    host: 'secretsmanager',
    signingName: 'secretsmanager',
    target: 'secretsmanager',
    json: '1.1',
  },
  lambda: { serviceId: 'LAMBDA', host: 'lambda', signingName: 'lambda', target: undefined, json: undefined },
} as const;

export type AwsService = keyof typeof AWS_SERVICES;

/**
 * One API call, named by its IAM action (`dynamodb:PutItem`, `lambda:InvokeFunction`): the JSON
 * protocols derive the operation they send from it, and test/integration/package/sdk-calls.ts reads
 * these literals out of a function's bundle, so the permission proof sees exactly what is sent.
 */
export type AwsAction = `${AwsService}:${string}`;

export function serviceOf(action: AwsAction): AwsService {
  return action.slice(0, action.indexOf(':')) as AwsService;
}

export function operationOf(action: AwsAction): string {
  return action.slice(action.indexOf(':') + 1);
}
