import { Logger } from '@aws-lambda-powertools/logger';
import type {
  CreateLogGroupRequest,
  CreateLogStreamRequest,
  DescribeLogStreamsRequest,
  GetLogEventsRequest,
  PutLogEventsRequest,
} from '@aws-sdk/client-cloudwatch-logs';
import { z } from 'zod';
import { awsJsonListener, parseInput } from '../aws/aws-json-listener.ts';
import type { LocalCredentials } from '../aws/local-credentials.ts';
import { listenOnLoopback } from '../http/loopback-server.ts';
import { createLocalLogs, MAX_BATCH_BYTES, type LocalLogs, type LocalLogsOptions } from './create-local-logs.ts';
import { LocalLogsError } from './errors.ts';

export interface StartLogsOptions extends LocalLogsOptions {
  port?: number;
  /** The only credentials whose requests are answered (the local stack's). */
  credentials: LocalCredentials;
  logger?: Pick<Logger, 'error'>;
}

export interface LocalLogsServer {
  url: string;
  /** What the stack sets so the AWS SDK reaches this endpoint (the SDK id of CloudWatch Logs is `CloudWatch Logs`). */
  env: { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: string };
  logs: LocalLogs;
  stop(): Promise<void>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'Logs_20140328.';
/** A full PutLogEvents batch (1 MiB of messages) in JSON, with room for escapes and the names. */
const MAX_BODY = 4 * MAX_BATCH_BYTES;

// The request shapes the SDK sends (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/).
const GroupRef = {
  logGroupName: z.string().min(1).max(512).optional(),
  logGroupIdentifier: z.string().min(1).max(2048).optional(),
};
const CreateLogGroup = z.looseObject({
  logGroupName: z.string().min(1).max(512),
  kmsKeyId: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  logGroupClass: z.enum(['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY']).optional(),
});
const CreateLogStream = z.object({
  logGroupName: z.string().min(1).max(512),
  logStreamName: z.string().min(1).max(512),
});
const PutLogEvents = z.looseObject({
  logGroupName: z.string().min(1).max(512),
  logStreamName: z.string().min(1).max(512),
  logEvents: z.array(z.object({ timestamp: z.number().int().nonnegative(), message: z.string().min(1) })).min(1),
  sequenceToken: z.string().optional(),
});
const GetLogEvents = z.object({
  ...GroupRef,
  logStreamName: z.string().min(1).max(512),
  startTime: z.number().int().nonnegative().optional(),
  endTime: z.number().int().nonnegative().optional(),
  nextToken: z.string().min(1).optional(),
  limit: z.number().int().optional(),
  startFromHead: z.boolean().optional(),
  unmask: z.boolean().optional(),
});
const DescribeLogStreams = z.object({
  ...GroupRef,
  logStreamNamePrefix: z.string().min(1).max(512).optional(),
  orderBy: z.enum(['LogStreamName', 'LastEventTime']).optional(),
  descending: z.boolean().optional(),
  nextToken: z.string().min(1).optional(),
  limit: z.number().int().optional(),
});

/**
 * CloudWatch Logs' JSON 1.1 endpoint on 127.0.0.1 (X-Amz-Target `Logs_20140328.<Operation>`) for
 * CreateLogGroup, CreateLogStream, PutLogEvents, GetLogEvents and DescribeLogStreams, so that the real
 * `@aws-sdk/client-cloudwatch-logs` works against the local core (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS),
 * for requests signed with `credentials` (signing name `logs`) and addressed to a loopback host only.
 * Timestamps are epoch milliseconds (numbers), as CloudWatch Logs sends them.
 */
export async function startLogs(options: StartLogsOptions): Promise<LocalLogsServer> {
  const logs = createLocalLogs(options);
  const logger = options.logger ?? new Logger({ serviceName: 'pushgate-local-logs' });
  const invalidInput = (message: string) => new LocalLogsError('InvalidParameterException', message);
  const listener = awsJsonListener({
    service: 'CloudWatch Logs',
    signingName: 'logs',
    credentials: options.credentials,
    targetPrefix: TARGET_PREFIX,
    contentType: CONTENT_TYPE,
    maxBodyBytes: MAX_BODY,
    operations: {
      CreateLogGroup: (body) =>
        logs.createLogGroup(parseInput(CreateLogGroup, body, invalidInput) as CreateLogGroupRequest),
      CreateLogStream: (body) =>
        logs.createLogStream(parseInput(CreateLogStream, body, invalidInput) as CreateLogStreamRequest),
      PutLogEvents: (body) => logs.putLogEvents(parseInput(PutLogEvents, body, invalidInput) as PutLogEventsRequest),
      GetLogEvents: (body) => logs.getLogEvents(parseInput(GetLogEvents, body, invalidInput) as GetLogEventsRequest),
      DescribeLogStreams: (body) =>
        logs.describeLogStreams(parseInput(DescribeLogStreams, body, invalidInput) as DescribeLogStreamsRequest),
    },
    isServiceError: (error): error is LocalLogsError => error instanceof LocalLogsError,
    invalidInput,
    logger,
  });
  const server = await listenOnLoopback(listener, options.port ?? 0);
  return {
    url: server.url,
    env: { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: server.url },
    logs,
    stop: () => server.stop(),
  };
}
