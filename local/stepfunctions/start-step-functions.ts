import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { listenOnLoopback } from '../http/loopback-server.ts';
import { awsJsonListener, parseInput } from '../aws/aws-json-listener.ts';
import type { LocalCredentials } from '../aws/local-credentials.ts';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
} from './create-local-step-functions.ts';
import { LocalStepFunctionsError } from './errors.ts';

export interface StartStepFunctionsOptions extends LocalStepFunctionsOptions {
  port?: number;
  /** The only credentials whose requests are answered (the local stack's). */
  credentials: LocalCredentials;
  /** State machines to create at start, by name (definitions as objects, e.g. from loadDefinition). */
  stateMachines?: Record<string, object>;
}

export interface LocalStepFunctionsServer {
  url: string;
  /** What the stack sets so the AWS SDK reaches this endpoint. */
  env: { AWS_ENDPOINT_URL_SFN: string };
  stepFunctions: LocalStepFunctions;
  /** Stops running executions, then the listener. */
  stop(): Promise<void>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AWSStepFunctions.';
/**
 * Step Functions' payloads are at most 256 KiB, but the input travels as a JSON string inside the
 * request (escaped, up to twice its size or more): room enough that an input over the quota reaches
 * StartExecution's own check and gets its ValidationException.
 */
const MAX_BODY = 2 * 1024 * 1024;

const Arn = z.string().min(1);
const Page = { maxResults: z.number().int().min(0).max(1000).optional(), nextToken: z.string().optional() };
// Request shapes: https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
const schemas = {
  CreateStateMachine: z.looseObject({
    name: z.string(),
    definition: z.string(),
    roleArn: z.string().optional(),
    type: z.literal('STANDARD', { message: 'the local Step Functions runs STANDARD state machines only' }).optional(),
  }),
  DescribeStateMachine: z.looseObject({ stateMachineArn: Arn }),
  ListStateMachines: z.looseObject({ ...Page }),
  StartExecution: z.looseObject({ stateMachineArn: Arn, name: z.string().optional(), input: z.string().optional() }),
  DescribeExecution: z.looseObject({ executionArn: Arn }),
  ListExecutions: z.looseObject({
    stateMachineArn: Arn,
    statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']).optional(),
    ...Page,
  }),
  GetExecutionHistory: z.looseObject({
    executionArn: Arn,
    reverseOrder: z.boolean().optional(),
    includeExecutionData: z.boolean().optional(),
    ...Page,
  }),
  StopExecution: z.looseObject({ executionArn: Arn, error: z.string().optional(), cause: z.string().optional() }),
  SendTaskSuccess: z.looseObject({ taskToken: z.string().min(1), output: z.string() }),
  SendTaskFailure: z.looseObject({
    taskToken: z.string().min(1),
    error: z.string().optional(),
    cause: z.string().optional(),
  }),
  SendTaskHeartbeat: z.looseObject({ taskToken: z.string().min(1) }),
};

/**
 * Step Functions' JSON 1.0 endpoint on 127.0.0.1 (`X-Amz-Target: AWSStepFunctions.<Operation>`), so
 * the real `@aws-sdk/client-sfn` works against the local core with AWS_ENDPOINT_URL_SFN, for requests
 * signed with `credentials` and addressed to a loopback host only.
 */
export async function startStepFunctions(options: StartStepFunctionsOptions): Promise<LocalStepFunctionsServer> {
  const sfn = createLocalStepFunctions(options);
  const logger = options.logger ?? new Logger({ serviceName: 'pushgate-local-stepfunctions' });
  for (const [name, definition] of Object.entries(options.stateMachines ?? {}))
    sfn.createStateMachine(name, definition);

  const operations: { [K in keyof typeof schemas]: (request: z.infer<(typeof schemas)[K]>) => unknown } = {
    CreateStateMachine: (r) => sfn.createStateMachine(r.name, r.definition, { roleArn: r.roleArn }),
    DescribeStateMachine: (r) => sfn.describeStateMachine(r.stateMachineArn),
    ListStateMachines: () => sfn.listStateMachines(),
    StartExecution: (r) => sfn.startExecution(r),
    DescribeExecution: (r) => sfn.describeExecution(r.executionArn),
    ListExecutions: (r) => sfn.listExecutions(r),
    GetExecutionHistory: (r) => sfn.getExecutionHistory(r),
    StopExecution: async (r) => {
      const result = sfn.stopExecution(r);
      // The execution is ABORTED at once; waiting lets its history end with ExecutionAborted too.
      await sfn.waitForExecution(r.executionArn);
      return result;
    },
    SendTaskSuccess: (r) => (sfn.sendTaskSuccess(r), {}),
    SendTaskFailure: (r) => (sfn.sendTaskFailure(r), {}),
    SendTaskHeartbeat: (r) => (sfn.sendTaskHeartbeat(r), {}),
  };

  const invalidInput = (message: string) => new LocalStepFunctionsError('ValidationException', message);
  const listener = awsJsonListener({
    service: 'Step Functions',
    signingName: 'states',
    credentials: options.credentials,
    targetPrefix: TARGET_PREFIX,
    contentType: CONTENT_TYPE,
    maxBodyBytes: MAX_BODY,
    operations: Object.fromEntries(
      (Object.keys(schemas) as (keyof typeof schemas)[]).map((name) => [
        name,
        (body: unknown) =>
          (operations[name] as (request: unknown) => unknown)(
            parseInput(schemas[name] as z.ZodType<unknown>, body, invalidInput),
          ),
      ]),
    ),
    isServiceError: (error): error is LocalStepFunctionsError => error instanceof LocalStepFunctionsError,
    invalidInput,
    logger,
  });

  const server = await listenOnLoopback(listener, options.port ?? 0);
  return {
    url: server.url,
    env: { AWS_ENDPOINT_URL_SFN: server.url },
    stepFunctions: sfn,
    async stop() {
      await sfn.close();
      await server.stop();
    },
  };
}
