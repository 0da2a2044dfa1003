import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  type CloudWatchLogsClient,
  type CreateLogGroupRequest,
  type CreateLogStreamRequest,
  type DescribeLogStreamsRequest,
  type DescribeLogStreamsResponse,
  type GetLogEventsRequest,
  type GetLogEventsResponse,
  type PutLogEventsRequest,
  type PutLogEventsResponse,
} from '@aws-sdk/client-cloudwatch-logs';

/**
 * The CloudWatch Logs operations the local stack uses, in the AWS SDK's shapes: what CodeBuild calls
 * to write a build's log, and what `pushgate logs` reads it with. The local core implements it
 * directly; `logsApiFromClient` adapts a real (or endpoint-overridden) client.
 */
export interface LogsApi {
  createLogGroup(input: CreateLogGroupRequest): Promise<unknown>;
  createLogStream(input: CreateLogStreamRequest): Promise<unknown>;
  putLogEvents(input: PutLogEventsRequest): Promise<PutLogEventsResponse>;
  getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse>;
  describeLogStreams(input: DescribeLogStreamsRequest): Promise<DescribeLogStreamsResponse>;
}

export function logsApiFromClient(client: CloudWatchLogsClient): LogsApi {
  return {
    createLogGroup: (input) => client.send(new CreateLogGroupCommand(input)),
    createLogStream: (input) => client.send(new CreateLogStreamCommand(input)),
    putLogEvents: (input) => client.send(new PutLogEventsCommand(input)),
    getLogEvents: (input) => client.send(new GetLogEventsCommand(input)),
    describeLogStreams: (input) => client.send(new DescribeLogStreamsCommand(input)),
  };
}
