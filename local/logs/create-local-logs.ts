import type {
  CreateLogGroupRequest,
  CreateLogStreamRequest,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResponse,
  GetLogEventsRequest,
  GetLogEventsResponse,
  LogStream,
  OutputLogEvent,
  PutLogEventsRequest,
  PutLogEventsResponse,
} from '@aws-sdk/client-cloudwatch-logs';
import { LocalLogsError } from './errors.ts';
import type { LogsApi } from './logs-api.ts';

/**
 * CloudWatch Logs' limits, as documented (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html,
 * API_GetLogEvents.html, API_DescribeLogStreams.html): a batch is at most 10,000 events and 1 MiB,
 * counted as each message's UTF-8 bytes plus 26; it spans at most 24 hours and is in chronological
 * order; an event more than 2 hours ahead or 14 days behind is rejected (not the batch).
 */
export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;
const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
const MAX_GET_EVENTS = 10_000;
const MAX_DESCRIBE_STREAMS = 50;
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;

export interface LocalLogsOptions {
  region?: string;
  accountId?: string;
  /** The clock (tests). */
  now?: () => number;
}

/** The local core: the LogsApi, in memory. */
export type LocalLogs = LogsApi;

interface StoredEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  /** Arrival order across the whole service: ties of timestamp keep it. */
  seq: number;
}

interface Stream {
  name: string;
  creationTime: number;
  events: StoredEvent[];
  lastIngestionTime?: number;
  uploads: number;
}

interface Group {
  name: string;
  creationTime: number;
  streams: Map<string, Stream>;
}

/** Where a token points: between events, by (timestamp, seq). */
interface Position {
  timestamp: number;
  seq: number;
}

const invalid = (message: string) => new LocalLogsError('InvalidParameterException', message);

const compare = (a: Position, b: Position) => a.timestamp - b.timestamp || a.seq - b.seq;

const eventBytes = (message: string) => Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;

/** `f/<timestamp>/<seq>` reads forward from after the position, `b/…` backward from before it. */
function encodeToken(direction: 'f' | 'b', at: Position): string {
  return `${direction}/${at.timestamp}/${at.seq}`;
}

function decodeToken(token: string): { direction: 'f' | 'b'; at: Position } {
  const match = /^([fb])\/(-?\d{1,16})\/(\d{1,16})$/.exec(token);
  if (!match) throw invalid('The specified nextToken is invalid.');
  return { direction: match[1] as 'f' | 'b', at: { timestamp: Number(match[2]), seq: Number(match[3]) } };
}

/**
 * CloudWatch Logs' CreateLogGroup, CreateLogStream, PutLogEvents, GetLogEvents and DescribeLogStreams
 * on this machine, in memory: what the local CodeBuild writes each build's log with and what
 * `pushgate logs` reads it with. Events are kept in timestamp order (arrival order among equal
 * timestamps); GetLogEvents' tokens point between events, so that reading forward from the last
 * token returns only what came after, and the same token when nothing did, as CloudWatch Logs does.
 * Sequence tokens are accepted and ignored, as CloudWatch Logs has done since 2023.
 */
export function createLocalLogs(options: LocalLogsOptions = {}): LocalLogs {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const now = options.now ?? Date.now;
  const groups = new Map<string, Group>();
  let seq = 0;

  const groupArn = (name: string) => `arn:aws:logs:${region}:${accountId}:log-group:${name}`;

  /** A group by name, or by ARN (`logGroupIdentifier` takes either). */
  function findGroup(input: { logGroupName?: string; logGroupIdentifier?: string }): Group {
    if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
      throw invalid('LogGroupName and LogGroupIdentifier are mutually exclusive parameters.');
    }
    const given = input.logGroupName ?? input.logGroupIdentifier;
    if (given === undefined) throw invalid('Either LogGroupName or LogGroupIdentifier must be specified.');
    const arn = /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*)?$/.exec(given);
    const name = input.logGroupIdentifier !== undefined && arn ? arn[1]! : given;
    const group = groups.get(name);
    if (!group) throw new LocalLogsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return group;
  }

  function findStream(group: Group, name: string | undefined): Stream {
    const stream = name === undefined ? undefined : group.streams.get(name);
    if (!stream) throw new LocalLogsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return stream;
  }

  function describe(group: Group, stream: Stream): LogStream {
    const first = stream.events[0];
    const last = stream.events.at(-1);
    return {
      logStreamName: stream.name,
      creationTime: stream.creationTime,
      ...(first ? { firstEventTimestamp: first.timestamp, lastEventTimestamp: last!.timestamp } : {}),
      ...(stream.lastIngestionTime === undefined ? {} : { lastIngestionTime: stream.lastIngestionTime }),
      arn: `${groupArn(group.name)}:log-stream:${stream.name}`,
      storedBytes: 0,
    };
  }

  return {
    async createLogGroup(input: CreateLogGroupRequest) {
      const name = input.logGroupName ?? '';
      if (!GROUP_NAME.test(name)) {
        throw invalid(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint`);
      }
      if (groups.has(name)) {
        throw new LocalLogsError('ResourceAlreadyExistsException', 'The specified log group already exists');
      }
      groups.set(name, { name, creationTime: now(), streams: new Map() });
      return {};
    },

    async createLogStream(input: CreateLogStreamRequest) {
      const name = input.logStreamName ?? '';
      if (!STREAM_NAME.test(name)) {
        throw invalid(`1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint`);
      }
      const group = findGroup({ logGroupName: input.logGroupName });
      if (group.streams.has(name)) {
        throw new LocalLogsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
      }
      group.streams.set(name, { name, creationTime: now(), events: [], uploads: 0 });
      return {};
    },

    async putLogEvents(input: PutLogEventsRequest): Promise<PutLogEventsResponse> {
      const events = input.logEvents ?? [];
      if (events.length < 1 || events.length > MAX_BATCH_EVENTS) {
        throw invalid(`A batch of log events holds 1 to ${MAX_BATCH_EVENTS} events, not ${events.length}.`);
      }
      let bytes = 0;
      for (const [index, event] of events.entries()) {
        if (typeof event.timestamp !== 'number' || typeof event.message !== 'string' || event.message === '') {
          throw invalid(`logEvents.${index + 1}: a log event needs a timestamp and a non-empty message.`);
        }
        bytes += eventBytes(event.message);
        const before = events[index - 1];
        if (before && event.timestamp < before.timestamp!) {
          throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
        }
      }
      if (bytes > MAX_BATCH_BYTES) {
        throw invalid(`The batch of log events is ${bytes} bytes; the most is ${MAX_BATCH_BYTES}.`);
      }
      if (events.at(-1)!.timestamp! - events[0]!.timestamp! > MAX_BATCH_SPAN_MS) {
        throw invalid('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
      }
      const stream = findStream(findGroup({ logGroupName: input.logGroupName }), input.logStreamName);
      const ingestionTime = now();
      // Rejected, not refused: too old ones are a prefix of the batch, too new ones a suffix.
      let tooOldEnd = 0;
      while (tooOldEnd < events.length && events[tooOldEnd]!.timestamp! < ingestionTime - MAX_AGE_MS) tooOldEnd++;
      let tooNewStart = events.length;
      while (tooNewStart > tooOldEnd && events[tooNewStart - 1]!.timestamp! > ingestionTime + MAX_FUTURE_MS) {
        tooNewStart--;
      }
      for (const event of events.slice(tooOldEnd, tooNewStart)) {
        const stored: StoredEvent = { timestamp: event.timestamp!, message: event.message!, ingestionTime, seq: ++seq };
        // Mostly appended: a writer's events come in order.
        let at = stream.events.length;
        while (at > 0 && compare(stream.events[at - 1]!, stored) > 0) at--;
        stream.events.splice(at, 0, stored);
      }
      stream.lastIngestionTime = ingestionTime;
      stream.uploads++;
      const rejected = {
        ...(tooOldEnd > 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}),
        ...(tooNewStart < events.length ? { tooNewLogEventStartIndex: tooNewStart } : {}),
      };
      return {
        nextSequenceToken: String(stream.uploads).padStart(56, '0'),
        ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
      };
    },

    async getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse> {
      const limit = input.limit ?? MAX_GET_EVENTS;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_GET_EVENTS) {
        throw invalid(`limit must be from 1 to ${MAX_GET_EVENTS}.`);
      }
      const token = input.nextToken === undefined ? undefined : decodeToken(input.nextToken);
      const stream = findStream(findGroup(input), input.logStreamName);
      // startTime is inclusive, endTime exclusive.
      const inRange = stream.events.filter(
        (event) =>
          (input.startTime === undefined || event.timestamp >= input.startTime) &&
          (input.endTime === undefined || event.timestamp < input.endTime),
      );
      const forward = token ? token.direction === 'f' : input.startFromHead === true;
      let candidates: StoredEvent[];
      if (!token) candidates = inRange;
      else if (forward) candidates = inRange.filter((event) => compare(event, token.at) > 0);
      else candidates = inRange.filter((event) => compare(event, token.at) < 0);

      // As many as `limit` and 1 MiB allow, from the start (forward) or the end (backward, or the tail).
      const page: StoredEvent[] = [];
      let bytes = 0;
      const ordered = forward ? candidates : [...candidates].reverse();
      for (const event of ordered) {
        bytes += eventBytes(event.message);
        if (page.length >= limit || (page.length > 0 && bytes > MAX_BATCH_BYTES)) break;
        page.push(event);
      }
      if (!forward) page.reverse();

      const first = page[0];
      const last = page.at(-1);
      // Nothing new: the token given comes back, so a reader knows it reached the end.
      const origin: Position = token?.at ?? { timestamp: 0, seq: 0 };
      const nextForwardToken =
        last !== undefined
          ? encodeToken('f', last)
          : token?.direction === 'f'
            ? input.nextToken!
            : encodeToken('f', origin);
      const nextBackwardToken =
        first !== undefined
          ? encodeToken('b', first)
          : token?.direction === 'b'
            ? input.nextToken!
            : encodeToken('b', origin);
      const events: OutputLogEvent[] = page.map(({ timestamp, message, ingestionTime }) => ({
        timestamp,
        message,
        ingestionTime,
      }));
      return { events, nextForwardToken, nextBackwardToken };
    },

    async describeLogStreams(input: DescribeLogStreamsRequest): Promise<DescribeLogStreamsResponse> {
      const limit = input.limit ?? MAX_DESCRIBE_STREAMS;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DESCRIBE_STREAMS) {
        throw invalid(`limit must be from 1 to ${MAX_DESCRIBE_STREAMS}.`);
      }
      const byLastEvent = input.orderBy === 'LastEventTime';
      if (byLastEvent && input.logStreamNamePrefix !== undefined) {
        throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
      }
      const group = findGroup(input);
      let start = 0;
      if (input.nextToken !== undefined) {
        const match = /^p\/(\d{1,9})$/.exec(input.nextToken);
        if (!match) throw invalid('The specified nextToken is invalid.');
        start = Number(match[1]);
      }
      const streams = [...group.streams.values()]
        .filter((stream) => stream.name.startsWith(input.logStreamNamePrefix ?? ''))
        .sort((a, b) =>
          byLastEvent
            ? (a.events.at(-1)?.timestamp ?? 0) - (b.events.at(-1)?.timestamp ?? 0) || a.name.localeCompare(b.name)
            : a.name < b.name
              ? -1
              : a.name > b.name
                ? 1
                : 0,
        );
      if (input.descending) streams.reverse();
      const page = streams.slice(start, start + limit);
      const more = start + limit < streams.length;
      return {
        logStreams: page.map((stream) => describe(group, stream)),
        ...(more ? { nextToken: `p/${start + limit}` } : {}),
      };
    },
  };
}
