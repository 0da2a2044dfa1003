import { Tracer } from '@aws-lambda-powertools/tracer';
import { setClientCapture } from './clients/capture.ts';

let tracer: Tracer | undefined;

/**
 * The function's X-Ray tracer (Powertools Tracer), one per Lambda process. Lambda's Active tracing
 * (serverless.yml `provider.tracing.lambda`) opens the invocation's segment; the step wrapper
 * (step-handler.ts) adds a `## <function>` subsegment with the run id as an annotation, and every
 * AWS SDK client built in runtime/clients/ is captured (`traced`, registered in clients/capture.ts), so a trace shows each DynamoDB,
 * Step Functions, S3, CodeBuild or Lambda call with its latency and error.
 *
 * Off outside Lambda (Powertools checks AWS_EXECUTION_ENV) and wherever POWERTOOLS_TRACE_ENABLED is
 * `false`: tests and `pushgate dev` never look for an X-Ray daemon.
 *
 * Plain HTTP(S) calls are not captured (captureHTTPsRequests: false): a Slack incoming webhook's URL
 * is its secret, and a traced request would put it into X-Ray. Responses are not recorded as
 * metadata either (the wrapper never adds them): AcquireLock's holds presigned upload URLs.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/tracer/
 */
export function runtimeTracer(): Tracer {
  tracer ??= new Tracer({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'pushgate',
    captureHTTPsRequests: false,
  });
  return tracer;
}

/**
 * An AWS SDK v3 client whose calls are X-Ray subsegments (the client itself, unchanged, when tracing
 * is off). Capture the service client, not a DynamoDBDocumentClient built on it.
 */
export function traced<T extends object>(client: T): T {
  return runtimeTracer().captureAWSv3Client(client);
}

// The shared clients (runtime/clients/) are captured from now on, in every function that loads this.
setClientCapture(traced);
