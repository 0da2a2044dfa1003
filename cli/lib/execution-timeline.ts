import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** One state of an execution, as the Step Functions console's table of states shows it. */
export interface TimelineEntry {
  /** The state's name (`Plan`, `Apply`, …). */
  name: string;
  /** The state's type (`Task`, `Map`, `Choice`, …). */
  type: string;
  /** `project/environment` for a state inside the per-target iteration, from the state's input. */
  target?: string;
  status: 'succeeded' | 'failed' | 'running' | 'caught';
  enteredAt: string;
  exitedAt?: string;
  durationMs?: number;
  /** Attempts of the state's task that failed and were tried again (Retry). */
  retries: number;
  /** The last task failure of the state (the one that ended it, when it failed). */
  error?: string;
  cause?: string;
}

/** The execution's own end: status, and the Error and Cause the console shows for a failed one. */
export interface ExecutionOutcome {
  status: 'running' | 'succeeded' | 'failed' | 'aborted' | 'timed_out';
  startedAt?: string;
  stoppedAt?: string;
  durationMs?: number;
  error?: string;
  cause?: string;
}

const TASK_FAILURE_DETAILS = [
  'taskFailedEventDetails',
  'taskTimedOutEventDetails',
  'lambdaFunctionFailedEventDetails',
  'lambdaFunctionTimedOutEventDetails',
  'lambdaFunctionScheduleFailedEventDetails',
  'lambdaFunctionStartFailedEventDetails',
  'taskStartFailedEventDetails',
  'taskSubmitFailedEventDetails',
] as const;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `project/environment` of a state input that carries the target (the per-target iteration's states). */
function targetOf(input: string | undefined): string | undefined {
  const value = parseJson(input) as { target?: { project?: unknown; environment?: unknown } } | undefined;
  const target = value?.target;
  return typeof target?.project === 'string' && typeof target.environment === 'string'
    ? `${target.project}/${target.environment}`
    : undefined;
}

const iso = (date: Date | undefined) => (date ? new Date(date).toISOString() : undefined);
const between = (from: Date | undefined, to: Date | undefined) =>
  from && to ? new Date(to).getTime() - new Date(from).getTime() : undefined;

/** `TaskStateEntered` → `Task`. */
const stateType = (eventType: string, suffix: string) => eventType.slice(0, -suffix.length);

/**
 * The states an execution went through, in the order they were entered, from its history events:
 * each with its times and duration, retries, and the failure that ended it. Task events are matched
 * to their state along `previousEventId` (Step Functions chains each event to the one that caused
 * it); a state's exit is matched to its entry by name and target, so the parallel iterations of the
 * per-target Map stay apart. A state entered but not exited is `running` (or `failed` when the
 * execution ended meanwhile).
 */
export function executionTimeline(events: readonly HistoryEvent[]): {
  states: TimelineEntry[];
  execution: ExecutionOutcome;
} {
  const byId = new Map<number, HistoryEvent>();
  for (const event of events) if (event.id !== undefined) byId.set(event.id, event);
  const states: TimelineEntry[] = [];
  /** The entry each StateEntered event id opened. */
  const entryOf = new Map<number, TimelineEntry>();
  const open: { entry: TimelineEntry }[] = [];
  /** Task failures seen per open entry, before the state ended. */
  const failures = new Map<TimelineEntry, number>();
  /** Open entries whose task succeeded after a failed attempt (the failure was retried). */
  const recovered = new Set<TimelineEntry>();
  const execution: ExecutionOutcome = { status: 'running' };

  /** The open state an event belongs to: along previousEventId to a StateEntered, else the latest open one. */
  const ownerOf = (event: HistoryEvent): TimelineEntry | undefined => {
    let at: HistoryEvent | undefined = event;
    for (let hops = 0; at && hops < 50; hops++) {
      if (at.type?.endsWith('StateEntered') && at.id !== undefined) {
        const entry = entryOf.get(at.id);
        if (entry && open.some((each) => each.entry === entry)) return entry;
        break;
      }
      at = at.previousEventId === undefined ? undefined : byId.get(at.previousEventId);
    }
    return open.at(-1)?.entry;
  };

  for (const event of events) {
    const type = event.type ?? '';
    if (type === 'ExecutionStarted') execution.startedAt = iso(event.timestamp);
    if (type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) {
      const target = targetOf(event.stateEnteredEventDetails.input);
      const entry: TimelineEntry = {
        name: event.stateEnteredEventDetails.name,
        type: stateType(type, 'StateEntered'),
        ...(target ? { target } : {}),
        status: 'running',
        enteredAt: iso(event.timestamp) ?? '',
        retries: 0,
      };
      states.push(entry);
      if (event.id !== undefined) entryOf.set(event.id, entry);
      open.push({ entry });
      continue;
    }
    if (type.endsWith('StateExited') && event.stateExitedEventDetails?.name) {
      const name = event.stateExitedEventDetails.name;
      const target = targetOf(event.stateExitedEventDetails.output);
      const candidates = open.filter((each) => each.entry.name === name);
      const match = candidates.find((each) => each.entry.target === target) ?? candidates[0];
      if (!match) continue;
      open.splice(open.indexOf(match), 1);
      const { entry } = match;
      entry.exitedAt = iso(event.timestamp);
      const duration = between(new Date(entry.enteredAt), event.timestamp);
      if (duration !== undefined) entry.durationMs = duration;
      const failed = failures.get(entry) ?? 0;
      // Every failed attempt but the last was retried; a last one that did not end the state was
      // caught (Catch moved on to another state), unless a later attempt succeeded.
      if (entry.status === 'running') {
        entry.status = entry.error !== undefined && !recovered.has(entry) ? 'caught' : 'succeeded';
      }
      entry.retries = recovered.has(entry) ? failed : Math.max(0, failed - 1);
      continue;
    }
    if (type.endsWith('StateFailed') || type === 'MapStateFailed' || type === 'ParallelStateFailed') {
      const owner = ownerOf(event);
      if (owner) owner.status = 'failed';
      continue;
    }
    const failure = TASK_FAILURE_DETAILS.map((key) => event[key]).find((details) => details !== undefined);
    if (failure) {
      const owner = ownerOf(event);
      if (owner) {
        failures.set(owner, (failures.get(owner) ?? 0) + 1);
        if (failure.error !== undefined) owner.error = failure.error;
        if (failure.cause !== undefined) owner.cause = failure.cause;
        recovered.delete(owner);
      }
      continue;
    }
    if (type === 'TaskSucceeded' || type === 'LambdaFunctionSucceeded') {
      const owner = ownerOf(event);
      if (owner && owner.error !== undefined) recovered.add(owner);
      continue;
    }
    const ended = {
      ExecutionSucceeded: 'succeeded',
      ExecutionFailed: 'failed',
      ExecutionAborted: 'aborted',
      ExecutionTimedOut: 'timed_out',
    } as const;
    if (type in ended) {
      execution.status = ended[type as keyof typeof ended];
      execution.stoppedAt = iso(event.timestamp);
      const details =
        event.executionFailedEventDetails ?? event.executionAbortedEventDetails ?? event.executionTimedOutEventDetails;
      if (details?.error !== undefined) execution.error = details.error;
      if (details?.cause !== undefined) execution.cause = details.cause;
      const duration = between(execution.startedAt ? new Date(execution.startedAt) : undefined, event.timestamp);
      if (duration !== undefined) execution.durationMs = duration;
    }
  }
  // States still open when the execution ended did not finish.
  if (execution.status !== 'running') {
    for (const { entry } of open) if (entry.status === 'running') entry.status = 'failed';
  }
  return { states, execution };
}

/**
 * A run's timeline: its execution's states and those of its child executions (one per chunk of
 * targets, state-machines/targets.asl.yml), each read on its own (event ids are per execution) and
 * merged in the order they were entered. The outcome is the run's execution's.
 */
export function runTimeline(
  events: readonly HistoryEvent[],
  children: readonly (readonly HistoryEvent[])[],
): ReturnType<typeof executionTimeline> {
  const own = executionTimeline(events);
  const states = [...own.states, ...children.flatMap((child) => executionTimeline(child).states)];
  // A stable sort: equal times keep the run's own states first.
  states.sort((a, b) => Date.parse(a.enteredAt) - Date.parse(b.enteredAt));
  return { states, execution: own.execution };
}
