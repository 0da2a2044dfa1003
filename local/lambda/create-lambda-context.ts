import { randomUUID } from 'node:crypto';
import type { ClientContext, Context } from 'aws-lambda';

export interface LambdaContextOptions {
  functionName: string;
  /** The invocation's deadline is now + timeout, as the Lambda runtime computes it. */
  timeoutMs: number;
  awsRequestId?: string;
  region?: string;
  accountId?: string;
  memoryLimitInMB?: number;
  clientContext?: ClientContext;
}

/** The placeholder account of the AWS documentation: nothing local pretends to be a real account. */
export const LOCAL_ACCOUNT_ID = '123456789012';

/**
 * A context object shaped like the Node.js runtime's, so handlers (and Powertools, which reads
 * functionName, awsRequestId and memoryLimitInMB from it) behave as on Lambda.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const deadline = Date.now() + options.timeoutMs;
  const awsRequestId = options.awsRequestId ?? randomUUID();
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is a callback-era API; return a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `${day}/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    clientContext: options.clientContext,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
