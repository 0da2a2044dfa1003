import { PushgateError } from '../errors.ts';

/**
 * Errors the workflow's Retry / Catch match by name (WorkflowErrors in functions/lib/workflow/contract.ts).
 * Lock contention is a result inside the domain (AcquireLockResult); only at the Step Functions edge
 * does it become an error, because Retry with backoff is how a Standard workflow waits cheaply.
 */
export class RunStepError extends PushgateError {}

/** Someone else holds the lock (or is ahead in the queue): retried with backoff by the state machine. */
export class LockHeldError extends RunStepError {}

/** Waited longer than the repository's `lockWaitMinutes`: not retried. */
export class LockWaitTimeoutError extends RunStepError {}

/** A newer run for the same target is waiting (`concurrency: supersede`). */
export class SupersededError extends RunStepError {}

/** An environment this one comes `after` did not succeed in this run. */
export class DependencyFailedError extends RunStepError {}

/** The step's input is not what the state machine should send: a bug, reported plainly. */
export class StepInputError extends RunStepError {}

/** The lock was taken over while this run waited (its lease ran out): applying now could race another run. */
export class LockLostError extends RunStepError {}

/**
 * The run was resumed past WaitForApproval without an approval the approval function recorded (a raw
 * SendTaskSuccess with a token read from the history or the table): nothing is applied.
 */
export class ApprovalMissingError extends RunStepError {}

/** A rollback run's commit is not a recorded successful deployment of its target: nothing is applied. */
export class RollbackRefusedError extends RunStepError {}
