import type { RunRequest } from './contract.ts';

/**
 * Starts the deploy workflow for one run. One implementation talks to Step Functions
 * (`createSfnWorkflow`); tests and benchmarks use an in-memory double.
 */
export interface Workflow {
  /**
   * Starts one execution named `name`. A second start with the same name (a concurrent or
   * repeated delivery) does not start another: it answers the existing ARN with `alreadyStarted`.
   */
  start(input: RunRequest, name: string): Promise<StartedExecution>;
  /**
   * The ARN the execution named `name` has (or will have). Execution names are deterministic, so
   * the run record can carry its ARN before the execution starts.
   */
  executionArn(name: string): string;
  /**
   * The run id in the input of the execution `executionArn`, or undefined when there is no such
   * execution. After a start that seemed to fail, it tells whether the execution exists after all.
   */
  runIdOf(executionArn: string): Promise<string | undefined>;
}

export interface StartedExecution {
  executionArn: string;
  alreadyStarted: boolean;
  /** With `alreadyStarted`: the run the existing execution belongs to (an earlier attempt of the delivery). */
  runId?: string;
}
