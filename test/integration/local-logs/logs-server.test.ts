import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  paginateGetLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startLogs, type LocalLogsServer } from '../../../local/logs/start-logs.ts';

// The local CloudWatch Logs through the real @aws-sdk/client-cloudwatch-logs: what the local
// CodeBuild writes builds' logs with and `pushgate logs` reads them with.

const credentials = createLocalCredentials();
let server: LocalLogsServer;
let client: CloudWatchLogsClient;
const group = '/aws/codebuild/pushgate-local-plan';

beforeAll(async () => {
  server = await startLogs({ credentials });
  client = new CloudWatchLogsClient({
    region: 'us-east-1',
    credentials,
    endpoint: server.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
  });
  await client.send(new CreateLogGroupCommand({ logGroupName: group }));
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

const at = (offset: number) => Date.now() + offset;

describe('local CloudWatch Logs', () => {
  it('stores events and GetLogEvents reads them forward, returning the same token at the end', async () => {
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'forward' }));
    const base = at(0);
    await client.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'forward',
        logEvents: [1, 2, 3].map((n) => ({ timestamp: base + n, message: `line ${n}\n` })),
      }),
    );
    const first = await client.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'forward', startFromHead: true, limit: 2 }),
    );
    expect(first.events?.map((event) => event.message)).toEqual(['line 1\n', 'line 2\n']);
    const second = await client.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'forward', nextToken: first.nextForwardToken }),
    );
    expect(second.events?.map((event) => event.message)).toEqual(['line 3\n']);
    const end = await client.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'forward', nextToken: second.nextForwardToken }),
    );
    expect(end.events).toEqual([]);
    expect(end.nextForwardToken).toBe(second.nextForwardToken);

    // A reader at the end sees what comes later, and only that.
    await client.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'forward',
        logEvents: [{ timestamp: base + 10, message: 'line 4\n' }],
      }),
    );
    const later = await client.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'forward', nextToken: end.nextForwardToken }),
    );
    expect(later.events?.map((event) => event.message)).toEqual(['line 4\n']);
    expect(later.events?.[0]).toMatchObject({ timestamp: base + 10, ingestionTime: expect.any(Number) });

    // The SDK paginator, told to stop on a repeated token (GetLogEvents never ends otherwise), ends.
    const messages: string[] = [];
    for await (const page of paginateGetLogEvents(
      { client, pageSize: 1, stopOnSameToken: true },
      { logGroupName: group, logStreamName: 'forward', startFromHead: true },
    )) {
      messages.push(...(page.events ?? []).map((event) => event.message ?? ''));
    }
    expect(messages).toEqual(['line 1\n', 'line 2\n', 'line 3\n', 'line 4\n']);

    // Without startFromHead, the newest events; the backward token pages to older ones.
    const tail = await client.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'forward', limit: 1 }),
    );
    expect(tail.events?.map((event) => event.message)).toEqual(['line 4\n']);
    const older = await client.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: 'forward',
        limit: 2,
        nextToken: tail.nextBackwardToken,
      }),
    );
    expect(older.events?.map((event) => event.message)).toEqual(['line 2\n', 'line 3\n']);

    // startTime is inclusive, endTime exclusive.
    const window = await client.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: 'forward',
        startFromHead: true,
        startTime: base + 2,
        endTime: base + 10,
      }),
    );
    expect(window.events?.map((event) => event.message)).toEqual(['line 2\n', 'line 3\n']);
  });

  it('answers errors as CloudWatch Logs does', async () => {
    await expect(client.send(new CreateLogGroupCommand({ logGroupName: group }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
    await expect(
      client.send(new CreateLogStreamCommand({ logGroupName: '/aws/codebuild/none', logStreamName: 's' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'missing' })),
    ).rejects.toThrow('The specified log stream does not exist.');
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'order' }));
    await expect(
      client.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: 'order',
          logEvents: [
            { timestamp: at(0), message: 'b' },
            { timestamp: at(-1000), message: 'a' },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'order', nextToken: 'nonsense' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    // Too old and too new events are rejected, not the batch.
    const put = await client.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'order',
        logEvents: [
          { timestamp: at(-15 * 24 * 3600_000), message: 'old' },
          { timestamp: at(-15 * 24 * 3600_000 + 1), message: 'old too' },
        ],
      }),
    );
    expect(put.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 2 });
  });

  it('lists streams with DescribeLogStreams, by name or by last event, in pages', async () => {
    const logGroupName = '/aws/codebuild/describe';
    await client.send(new CreateLogGroupCommand({ logGroupName }));
    for (const [index, name] of ['b', 'a', 'c'].entries()) {
      await client.send(new CreateLogStreamCommand({ logGroupName, logStreamName: name }));
      await client.send(
        new PutLogEventsCommand({
          logGroupName,
          logStreamName: name,
          logEvents: [{ timestamp: at(index), message: name }],
        }),
      );
    }
    const first = await client.send(new DescribeLogStreamsCommand({ logGroupName, limit: 2 }));
    expect(first.logStreams?.map((stream) => stream.logStreamName)).toEqual(['a', 'b']);
    const rest = await client.send(new DescribeLogStreamsCommand({ logGroupName, nextToken: first.nextToken }));
    expect(rest.logStreams?.map((stream) => stream.logStreamName)).toEqual(['c']);
    expect(rest.nextToken).toBeUndefined();
    const newest = await client.send(
      new DescribeLogStreamsCommand({ logGroupName, orderBy: 'LastEventTime', descending: true }),
    );
    expect(newest.logStreams?.map((stream) => stream.logStreamName)).toEqual(['c', 'a', 'b']);
    expect(newest.logStreams?.[0]).toMatchObject({
      arn: `arn:aws:logs:us-east-1:000000000000:log-group:${logGroupName}:log-stream:c`,
      firstEventTimestamp: expect.any(Number),
    });
  });

  it('answers only requests signed with the stack credentials', async () => {
    const stranger = new CloudWatchLogsClient({
      region: 'us-east-1',
      credentials: createLocalCredentials(),
      endpoint: server.url,
    });
    try {
      await expect(
        stranger.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'forward' })),
      ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    } finally {
      stranger.destroy();
    }
  });
});
