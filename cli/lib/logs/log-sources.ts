import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, type Build, type CodeBuildClient } from '@aws-sdk/client-codebuild';
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { childExecutionArns } from '../../../functions/lib/workflow/child-executions.ts';

/** One log event as `pushgate logs` prints it: the message without the newline CodeBuild ends it with. */
export interface LogLine {
  timestamp: string;
  message: string;
}

/** Where `pushgate logs` reads from: Step Functions, CodeBuild and CloudWatch Logs, through the AWS SDK. */
export interface LogSources {
  /**
   * The whole execution history, oldest first, followed by its child executions' (the targets' steps);
   * empty when the execution is gone. `running` is the run's own execution's.
   */
  history(executionArn: string): Promise<{ events: HistoryEvent[]; running: boolean }>;
  /** Builds by id; a build CodeBuild no longer has is missing from the map. */
  builds(ids: readonly string[]): Promise<Map<string, Build>>;
  /**
   * The events of a stream after `token` (from its start without one), and the token to read on from:
   * GetLogEvents paginated with nextForwardToken until it comes back unchanged. A stream that does not
   * exist yet (the build has written nothing) reads as empty.
   */
  read(logGroup: string, logStream: string, token?: string): Promise<{ lines: LogLine[]; token?: string }>;
}

const ENDED = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

export function createLogSources(clients: {
  sfn: SFNClient;
  codebuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
}): LogSources {
  return {
    history: async function history(executionArn: string) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      try {
        do {
          const page = await clients.sfn.send(
            new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
          );
          events.push(...(page.events ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
      } catch (error) {
        // The local stack forgets executions when it restarts: the target records still name the builds.
        if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return { events: [], running: false };
        throw error;
      }
      const running = !events.some((event) => ENDED.has(event.type ?? ''));
      // The targets' builds are in the child executions (one per chunk of targets).
      for (const child of childExecutionArns(events)) events.push(...(await history(child)).events);
      return { events, running };
    },

    async builds(ids) {
      const found = new Map<string, Build>();
      for (let start = 0; start < ids.length; start += 100) {
        const page = await clients.codebuild.send(new BatchGetBuildsCommand({ ids: ids.slice(start, start + 100) }));
        for (const build of page.builds ?? []) if (build.id) found.set(build.id, build);
      }
      return found;
    },

    async read(logGroup, logStream, token) {
      const lines: LogLine[] = [];
      let at = token;
      for (;;) {
        let page;
        try {
          page = await clients.logs.send(
            new GetLogEventsCommand({
              logGroupName: logGroup,
              logStreamName: logStream,
              startFromHead: true,
              ...(at ? { nextToken: at } : {}),
            }),
          );
        } catch (error) {
          if ((error as { name?: string }).name === 'ResourceNotFoundException')
            return { lines, ...(at ? { token: at } : {}) };
          throw error;
        }
        for (const event of page.events ?? []) {
          lines.push({
            timestamp: new Date(event.timestamp ?? 0).toISOString(),
            message: (event.message ?? '').replace(/\r?\n$/, ''),
          });
        }
        const next = page.nextForwardToken;
        if (!next || next === at) return { lines, ...(next ? { token: next } : {}) };
        at = next;
      }
    },
  };
}
