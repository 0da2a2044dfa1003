import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { countTransitions, type TransitionCount } from './count-transitions.ts';

/** What one execution's history says about the quotas it nears (local/stepfunctions/service-limits.ts). */
export interface ExecutionFigures extends TransitionCount {
  /** UTF-8 bytes of the largest execution input, state input or state output recorded in the history. */
  largestPayloadBytes: number;
  /** Where that payload was: `execution input`, `<state> input`, `<state> output`, `execution output`. */
  largestPayloadAt: string;
  /** The error and cause the execution ended with (a quota reached: States.DataLimitExceeded, States.Runtime). */
  failure?: { error: string; cause: string };
}

/**
 * Reads the payloads and the end of one execution's history. A payload over the quota never reaches
 * the history (the execution fails instead), so the largest size here is the largest that passed;
 * which quota stopped the execution, and where, is in `failure`.
 */
export function executionFigures(history: readonly HistoryEvent[]): ExecutionFigures {
  let largestPayloadBytes = 0;
  let largestPayloadAt = 'none';
  let failure: ExecutionFigures['failure'];
  const consider = (text: string | undefined, at: string) => {
    if (text === undefined) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > largestPayloadBytes) {
      largestPayloadBytes = bytes;
      largestPayloadAt = at;
    }
  };
  for (const event of history) {
    consider(event.executionStartedEventDetails?.input, 'execution input');
    consider(event.executionSucceededEventDetails?.output, 'execution output');
    const entered = event.stateEnteredEventDetails;
    if (entered) consider(entered.input, `${entered.name ?? '?'} input`);
    const exited = event.stateExitedEventDetails;
    if (exited) consider(exited.output, `${exited.name ?? '?'} output`);
    const ended =
      event.executionFailedEventDetails ?? event.executionAbortedEventDetails ?? event.executionTimedOutEventDetails;
    if (ended) failure = { error: ended.error ?? 'unknown', cause: ended.cause ?? '' };
  }
  return {
    ...countTransitions(history),
    largestPayloadBytes,
    largestPayloadAt,
    ...(failure === undefined ? {} : { failure }),
  };
}

/**
 * Milliseconds from the first entry of `state` to its exit, or to the event that ended the execution
 * when the state never exited (a quota reached in it); undefined when it was never entered.
 */
export function stateDuration(history: readonly HistoryEvent[], state: string): number | undefined {
  const entered = history.find((event) => event.stateEnteredEventDetails?.name === state);
  if (!entered?.timestamp) return undefined;
  const exited =
    history.find((event) => event.stateExitedEventDetails?.name === state && event.id! > entered.id!) ?? history.at(-1);
  return new Date(exited!.timestamp!).getTime() - new Date(entered.timestamp).getTime();
}
