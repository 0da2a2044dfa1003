import type { ExecutionHistory } from './execution-history.ts';
import type { LimitFailure } from './service-limits.ts';
import type { TaskAttempt, TaskExecution } from './task-handlers.ts';
import type { TaskTokens } from './task-tokens.ts';

/**
 * The per-execution state the task handlers see, and the Context Object (`$$`) given to
 * aws-local-stepfunctions.
 *
 * The library evaluates a Task's Parameters and calls its handler in one synchronous step. Getters on
 * the context produce `$$.Task.Token` and `$$.State.EnteredTime` for that evaluation and keep them
 * "pending" until the end of the current microtask; the handler takes them at once (beginAttempt).
 * That is how a handler learns its token, and how EnteredTime stays the time the state was entered
 * across Retry attempts, for which the library evaluates the Parameters again.
 */
export class ExecutionContext implements TaskExecution {
  private pendingToken: string | undefined;
  private pendingEnteredTime: string | undefined;
  /** EnteredTime of Task attempts in progress, by state name and input (retries share it). */
  private readonly enteredTimes = new Map<string, string>();

  constructor(
    readonly signal: AbortSignal,
    readonly history: ExecutionHistory,
    private readonly tokens: TaskTokens,
    /** Fails the execution on a quota, past every Catch (create-local-step-functions.ts). */
    readonly failOnLimit: (failure: LimitFailure) => void = () => undefined,
  ) {}

  /** `$$` for the library; `$$.Execution…` paths are rewritten to `$$.RootExecution…` (prepare-definition.ts). */
  contextObject(
    execution: { Id: string; Name: string; Input: unknown; StartTime: string; RoleArn: string },
    stateMachine: { Id: string; Name: string },
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below are called by the library on its own objects
    const self = this;
    return {
      RootExecution: { ...execution, RedriveCount: 0 },
      Execution: { Id: execution.Id, Name: execution.Name, RoleArn: execution.RoleArn, RedriveCount: 0 },
      StateMachine: stateMachine,
      State: {
        get EnteredTime() {
          return self.pending('pendingEnteredTime', () => new Date().toISOString());
        },
        RetryCount: 0,
      },
      Task: {
        get Token() {
          return self.pending('pendingToken', () => self.tokens.issue());
        },
      },
    };
  }

  beginAttempt(stateName: string, input: unknown): TaskAttempt {
    const token = this.pendingToken;
    const entered = this.pendingEnteredTime;
    this.pendingToken = undefined;
    this.pendingEnteredTime = undefined;
    let text = JSON.stringify(input ?? null);
    const usedToken = token !== undefined && text.includes(token) ? token : undefined;
    if (entered === undefined || !text.includes(entered)) return { input, token: usedToken, settle: () => undefined };
    if (usedToken) text = text.replaceAll(usedToken, '');
    const key = `${stateName}\0${text.replaceAll(entered, '')}`;
    const first = this.enteredTimes.get(key) ?? entered;
    this.enteredTimes.set(key, first);
    return {
      input: first === entered ? input : replaceText(input, entered, first),
      token: usedToken,
      settle: (succeeded) => {
        if (succeeded) this.enteredTimes.delete(key);
      },
    };
  }

  private pending(slot: 'pendingToken' | 'pendingEnteredTime', create: () => string): string {
    const existing = this[slot];
    if (existing !== undefined) return existing;
    const value = create();
    this[slot] = value;
    // A value nobody took in this synchronous step (a Pass state reading $$.State.EnteredTime) expires.
    queueMicrotask(() => {
      if (this[slot] === value) this[slot] = undefined;
    });
    return value;
  }
}

function replaceText(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.replaceAll(from, to);
  if (Array.isArray(value)) return value.map((item) => replaceText(item, from, to));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceText(item, from, to)]));
}
