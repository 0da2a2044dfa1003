import type { HistoryEvent } from '@aws-sdk/client-sfn';

export interface TransitionCount {
  /** `*StateEntered` events: the state transitions Step Functions bills a Standard workflow for. */
  transitions: number;
  /** Task attempts after the first of their state entry (Retry), which AWS bills as transitions too. */
  retries: number;
  /** Every event of the execution history. */
  events: number;
}

// A Task state is entered once and schedules its work once per attempt, so the attempts beyond the
// entries are retries (the history has no StateRetried event).
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
const SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled']);

/** State transitions, retries and events of one execution's history (GetExecutionHistory events). */
export function countTransitions(history: readonly HistoryEvent[]): TransitionCount {
  let transitions = 0;
  let taskEntries = 0;
  let attempts = 0;
  for (const event of history) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) transitions += 1;
    if (type === 'TaskStateEntered') taskEntries += 1;
    if (SCHEDULED.has(type)) attempts += 1;
  }
  return { transitions, retries: Math.max(0, attempts - taskEntries), events: history.length };
}
