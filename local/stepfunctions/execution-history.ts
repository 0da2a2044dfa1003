import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { PreparedDefinition } from './prepare-definition.ts';
import {
  HISTORY_EVENT_LIMIT,
  HISTORY_LIMIT_FAILURE,
  outputLimitFailure,
  PAYLOAD_LIMIT_BYTES,
  type LimitFailure,
} from './service-limits.ts';

/** What this module reads from an event of aws-local-stepfunctions' `eventLogs` (its EventLog type is not exported). */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string; input?: unknown };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/** A history event before it gets its id; `timestamp` defaults to now. */
export type NewHistoryEvent = Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'> & {
  type: HistoryEventType;
  timestamp?: Date;
};

const NOT_TRUNCATED = { truncated: false };

/**
 * The history of one execution in the GetExecutionHistory shape. State-level events come from
 * aws-local-stepfunctions' event log (`fromLibrary`); Task and Lambda events come from the local task
 * handlers (`add`), which wait for the event log to catch up before they add, so the order is the
 * order things happened in.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 *
 * It also enforces two quotas where the data passes: a state output over 256 KiB, and a 25,000th
 * event that is not the execution's last, fail the execution (`onLimit`); from then on only the
 * execution's last event is recorded.
 */
export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  private closed = false;
  private halted = false;
  private readonly failedCompoundStates = new Map<string, number>();

  constructor(
    private readonly prepared: PreparedDefinition,
    private readonly onEvent: (event: HistoryEvent) => void,
    private readonly onLimit: (failure: LimitFailure) => void = () => undefined,
  ) {}

  add(event: NewHistoryEvent): void {
    if (this.closed || this.halted) return;
    // AWS waits at 24,999 events: the 25,000th may only be the execution's end (close).
    if (this.events.length >= HISTORY_EVENT_LIMIT - 1) {
      this.limitReached(HISTORY_LIMIT_FAILURE);
      return;
    }
    this.push(event);
  }

  /** Records nothing more until `close`: the execution is failing on a quota. */
  halt(): void {
    this.halted = true;
  }

  /** Adds the execution's last event; nothing is recorded after it (late task events of a stopped execution). */
  close(event: NewHistoryEvent): void {
    if (this.closed) return;
    this.push(event);
    this.closed = true;
  }

  private push(event: NewHistoryEvent): void {
    const id = this.events.length + 1;
    const full: HistoryEvent = { ...event, timestamp: event.timestamp ?? new Date(), id, previousEventId: id - 1 };
    this.events.push(full);
    this.onEvent(full);
  }

  private limitReached(failure: LimitFailure): void {
    this.halted = true;
    this.onLimit(failure);
  }

  fromLibrary(event: LibraryEvent): void {
    const timestamp = new Date(event.timestamp);
    const state = event.state;
    switch (event.type) {
      case 'StateEntered': {
        if (!state) return;
        this.add({
          type: `${state.type}StateEntered` as HistoryEventType,
          timestamp,
          stateEnteredEventDetails: { name: state.name, input: json(state.input), inputDetails: NOT_TRUNCATED },
        });
        if (state.type === 'Map') {
          this.add({
            type: 'MapStateStarted',
            timestamp,
            mapStateStartedEventDetails: { length: this.mapLength(state.name, state.input) },
          });
        } else if (state.type === 'Parallel') {
          this.add({ type: 'ParallelStateStarted', timestamp });
        }
        return;
      }
      case 'StateExited': {
        if (!state) return;
        // States.DataLimitExceeded: the state's output (after ResultSelector, ResultPath and OutputPath)
        // is over the quota; the execution fails at once, without the state's Exited event, as on AWS.
        const output = json(state.output);
        if (!this.halted && Buffer.byteLength(output, 'utf8') > PAYLOAD_LIMIT_BYTES) {
          this.limitReached(outputLimitFailure(state.name));
          return;
        }
        if (state.type === 'Map' || state.type === 'Parallel') {
          const failed = this.failedCompoundStates.get(state.name) ?? 0;
          if (failed > 0) this.failedCompoundStates.set(state.name, failed - 1);
          else this.add({ type: `${state.type}StateSucceeded` as HistoryEventType, timestamp });
        }
        this.add({
          type: `${state.type}StateExited` as HistoryEventType,
          timestamp,
          stateExitedEventDetails: { name: state.name, output, outputDetails: NOT_TRUNCATED },
        });
        return;
      }
      case 'StateFailed': {
        if (!state) return;
        if (state.type === 'Map' || state.type === 'Parallel') {
          this.failedCompoundStates.set(state.name, (this.failedCompoundStates.get(state.name) ?? 0) + 1);
          this.add({ type: `${state.type}StateFailed` as HistoryEventType, timestamp });
        } else if (state.type === 'Task' && event.Error === 'States.Timeout') {
          // The task handlers record every other task failure themselves; the library enforces TimeoutSeconds.
          const task = this.prepared.tasks.get(state.name);
          const cause = `the task ran longer than its TimeoutSeconds (${task?.timeoutSeconds ?? 'default'})`;
          if (task?.kind === 'lambda') {
            this.add({
              type: 'LambdaFunctionTimedOut',
              timestamp,
              lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout', cause },
            });
          } else {
            this.add({
              type: 'TaskTimedOut',
              timestamp,
              taskTimedOutEventDetails: {
                resourceType: task?.eventResourceType,
                resource: task?.eventResource,
                error: 'States.Timeout',
                cause,
              },
            });
          }
        }
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails` as
          'mapIterationStartedEventDetails' | 'mapIterationSucceededEventDetails' | 'mapIterationFailedEventDetails';
        this.add({ type: event.type, timestamp, [key]: { name: event.parentState?.name, index: event.index } });
        return;
      }
      default:
        // Execution* events are added by the core from the run's result; StateRetried, StateCaught and
        // ParallelBranch* have no counterpart in Step Functions' history.
        return;
    }
  }

  private mapLength(stateName: string, input: unknown): number | undefined {
    const paths = this.prepared.maps.get(stateName);
    const items = readPath(readPath(input, paths?.inputPath ?? '$'), paths?.itemsPath ?? '$');
    return Array.isArray(items) ? items.length : undefined;
  }
}

/** JSON text of a value, as the history carries inputs and outputs. */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** A reference path (`$`, `$.a.b`, `$.a[0]`, `$['a']`); undefined when it does not resolve. */
function readPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  const steps = path.match(/\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g);
  if (!path.startsWith('$') || !steps || steps.join('') !== path.slice(1)) return undefined;
  let current = value;
  for (const step of steps) {
    const key = step.startsWith('.')
      ? step.slice(1)
      : step.startsWith("['")
        ? step.slice(2, -2)
        : Number(step.slice(1, -1));
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
