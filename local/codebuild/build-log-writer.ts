import type { InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '../logs/create-local-logs.ts';
import type { LogsApi } from '../logs/logs-api.ts';

/** How often buffered lines are sent while a build runs (CodeBuild's own delay is a few seconds). */
export const LOG_FLUSH_INTERVAL_MS = 200;
/** CloudWatch Logs' largest event (1 MiB with its overhead); a longer line is cut, as the agent cuts it. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface BuildLogWriterOptions {
  logs: LogsApi;
  groupName: string;
  streamName: string;
  /** A failure to write (the build goes on without its log, as CodeBuild's does). */
  onError: (error: unknown) => void;
}

/**
 * Sends one build's log lines to CloudWatch Logs as CodeBuild does: group `/aws/codebuild/<project>`
 * (created when missing), stream `<build id suffix>`, each line an event whose message ends with a
 * newline. Lines are buffered and sent in batches within CloudWatch Logs' limits, in order, every
 * LOG_FLUSH_INTERVAL_MS and on `flush()`, which the build awaits before it is complete: a reader
 * that sees the build complete finds its whole log.
 */
export class BuildLogWriter {
  private pending: InputLogEvent[] = [];
  private lastTimestamp = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private stream: Promise<boolean> | undefined;

  constructor(private readonly options: BuildLogWriterOptions) {}

  write(line: string): void {
    // Chronological within a stream, whatever the clock does.
    this.lastTimestamp = Math.max(this.lastTimestamp, Date.now());
    this.pending.push({ timestamp: this.lastTimestamp, message: `${truncate(line)}\n` });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, LOG_FLUSH_INTERVAL_MS);
  }

  /** Sends everything written so far; resolves when it is stored (or failed, reported to onError). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.pending;
    this.pending = [];
    this.sending = this.sending.then(() => this.send(events));
    return this.sending;
  }

  private async send(events: InputLogEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      if (!(await this.ensureStream())) return;
      for (const batch of batches(events)) {
        await this.options.logs.putLogEvents({
          logGroupName: this.options.groupName,
          logStreamName: this.options.streamName,
          logEvents: batch,
        });
      }
    } catch (error) {
      this.options.onError(error);
    }
  }

  /** The group (shared by the project's builds; created once by whoever comes first) and the stream. */
  private ensureStream(): Promise<boolean> {
    this.stream ??= (async () => {
      const { logs, groupName, streamName } = this.options;
      try {
        await logs.createLogGroup({ logGroupName: groupName }).catch(ignoreAlreadyExists);
        await logs.createLogStream({ logGroupName: groupName, logStreamName: streamName }).catch(ignoreAlreadyExists);
        return true;
      } catch (error) {
        this.options.onError(error);
        return false;
      }
    })();
    return this.stream;
  }
}

/** The SDK names the exception; the local core (used in-process) gives its code. */
function ignoreAlreadyExists(error: unknown): void {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  if (name !== 'ResourceAlreadyExistsException' && code !== 'ResourceAlreadyExistsException') throw error;
}

function truncate(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= MAX_MESSAGE_BYTES) return line;
  return Buffer.from(line, 'utf8').subarray(0, MAX_MESSAGE_BYTES).toString('utf8');
}

/** Consecutive runs of events within PutLogEvents' count and size limits. */
function* batches(events: InputLogEvent[]): Generator<InputLogEvent[]> {
  let batch: InputLogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message!, 'utf8') + EVENT_OVERHEAD_BYTES;
    if (batch.length > 0 && (batch.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
