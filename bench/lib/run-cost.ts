import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** What one execution used of what AWS bills, read from its execution history. */
export interface RunUsage {
  /** Lambda task attempts, by function name, each with its duration in ms. */
  lambda: Array<{ functionName: string; ms: number }>;
  /** CodeBuild builds the run started (`startBuild.sync`), each with its build time in ms. */
  builds: Array<{ ms: number }>;
}

const END_TYPES = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut']);
const LAMBDA_END_TYPES = new Set(['LambdaFunctionSucceeded', 'LambdaFunctionFailed', 'LambdaFunctionTimedOut']);

/**
 * Pairs each Lambda task attempt's `TaskScheduled` with the next Lambda task end, which is exact for
 * a run whose Lambda tasks do not overlap (one target). A build's time is CodeBuild's own (the build's StartTime → EndTime in the task's output).
 */
export function runUsage(history: readonly HistoryEvent[]): RunUsage {
  // The end event does not name the function; a run whose Lambda tasks do not overlap ends them in order.
  const open: Array<{ functionName: string; at: number }> = [];
  const usage: RunUsage = { lambda: [], builds: [] };
  for (const event of history) {
    const type = event.type ?? '';
    // A Task whose Resource is the function's ARN (most of deploy.asl.yml).
    if (type === 'LambdaFunctionScheduled') {
      const resource = event.lambdaFunctionScheduledEventDetails?.resource ?? 'unknown';
      open.push({ functionName: functionNameOf(JSON.stringify({ FunctionName: resource })), at: timeOf(event) });
      continue;
    }
    if (LAMBDA_END_TYPES.has(type)) {
      const started = open.shift();
      if (started) usage.lambda.push({ functionName: started.functionName, ms: timeOf(event) - started.at });
      continue;
    }
    // `lambda:invoke` integrations.
    if (type === 'TaskScheduled') {
      const details = event.taskScheduledEventDetails;
      if (details?.resourceType !== 'lambda') continue;
      open.push({ functionName: functionNameOf(details.parameters), at: timeOf(event) });
      continue;
    }
    if (!END_TYPES.has(type)) continue;
    const details = event.taskSucceededEventDetails ?? event.taskFailedEventDetails ?? event.taskTimedOutEventDetails;
    if (details?.resourceType === 'lambda') {
      const started = open.shift();
      if (started) usage.lambda.push({ functionName: started.functionName, ms: timeOf(event) - started.at });
    }
    if (details?.resourceType === 'codebuild' && type === 'TaskSucceeded') {
      const build = buildOf(event.taskSucceededEventDetails?.output);
      if (build) usage.builds.push({ ms: build.end - build.start });
    }
  }
  return usage;
}

function timeOf(event: HistoryEvent): number {
  return new Date(event.timestamp ?? 0).getTime();
}

function functionNameOf(parameters: string | undefined): string {
  try {
    const parsed = JSON.parse(parameters ?? '{}') as { FunctionName?: unknown };
    const name = typeof parsed.FunctionName === 'string' ? parsed.FunctionName : 'unknown';
    // An ARN or partial ARN names the function after `function:`.
    return name.split(':function:').pop()!.split(':')[0]!;
  } catch {
    return 'unknown';
  }
}

function buildOf(output: string | undefined): { start: number; end: number } | undefined {
  try {
    const parsed = JSON.parse(output ?? '{}') as { Build?: { StartTime?: unknown; EndTime?: unknown } };
    const start = Number(new Date(parsed.Build?.StartTime as string | number));
    const end = Number(new Date(parsed.Build?.EndTime as string | number));
    return Number.isFinite(start) && Number.isFinite(end) ? { start, end } : undefined;
  } catch {
    return undefined;
  }
}
