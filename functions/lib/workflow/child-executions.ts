import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** Reads one execution's whole history, oldest first. */
export type ReadHistory = (executionArn: string) => Promise<HistoryEvent[]> | HistoryEvent[];

const CHILD_RESOURCE = /^startExecution\.sync(:2)?$/;

/**
 * The ARNs of the child executions a run's execution started (RunTargets, states:startExecution.sync:2:
 * one per chunk of targets), from the TaskSubmitted events that carry StartExecution's result, in the
 * order they were started.
 */
export function childExecutionArns(events: readonly HistoryEvent[]): string[] {
  const arns: string[] = [];
  for (const event of events) {
    const details = event.taskSubmittedEventDetails;
    if (
      event.type !== 'TaskSubmitted' ||
      details?.resourceType !== 'states' ||
      !CHILD_RESOURCE.test(details.resource ?? '')
    )
      continue;
    try {
      const arn = (JSON.parse(details.output ?? '{}') as { ExecutionArn?: unknown }).ExecutionArn;
      if (typeof arn === 'string' && !arns.includes(arn)) arns.push(arn);
    } catch {
      // A result that is not JSON names no child.
    }
  }
  return arns;
}

/**
 * A run's history as one timeline: its execution's events and those of every child execution it
 * started, ordered by time (the run's own first at equal times). Each event keeps its own execution's
 * id; what reads it goes by type, name and time. Children are read one at a time, as they were started.
 */
export async function runHistory(executionArn: string, read: ReadHistory): Promise<HistoryEvent[]> {
  const own = await read(executionArn);
  const children: HistoryEvent[] = [];
  for (const child of childExecutionArns(own)) children.push(...(await read(child)));
  const time = (event: HistoryEvent) => (event.timestamp ? new Date(event.timestamp).getTime() : 0);
  return [...own.map((event, at) => ({ event, at })), ...children.map((event, at) => ({ event, at: own.length + at }))]
    .sort((a, b) => time(a.event) - time(b.event) || a.at - b.at)
    .map(({ event }) => event);
}
