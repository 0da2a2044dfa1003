import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { sfnClient } from '../runtime/clients/sfn.ts';
import type { RunRequest } from './contract.ts';
import { WorkflowError } from './errors.ts';
import { executionArn } from './execution-arn.ts';
import type { Workflow } from './workflow.ts';

export interface SfnWorkflowOptions {
  stateMachineArn: string;
  /** Default: the function's shared client (runtime/clients/sfn.ts), built on first use. */
  client?: SFNClient;
}

/**
 * Starts executions of the deploy state machine. The execution name is the idempotency key: Step
 * Functions refuses a second execution with the same name (`ExecutionAlreadyExists`), which here means
 * another delivery of the same event won the race, so its ARN is the answer.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export function createSfnWorkflow(options: SfnWorkflowOptions): Workflow {
  const { stateMachineArn } = options;
  // Fail at start-up, not on the first delivery, when the ARN is not a state machine's.
  executionArn(stateMachineArn, 'probe');
  return {
    executionArn: (name) => executionArn(stateMachineArn, name),
    async runIdOf(arn: string) {
      const client = options.client ?? sfnClient();
      try {
        const output = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
        const runId = (JSON.parse(output.input ?? '{}') as { runId?: unknown }).runId;
        return typeof runId === 'string' ? runId : undefined;
      } catch (error) {
        if ((error as { name?: unknown })?.name === 'ExecutionDoesNotExist') return undefined;
        throw new WorkflowError(`could not describe execution ${arn}: ${(error as Error)?.message ?? String(error)}`, {
          cause: error,
        });
      }
    },
    async start(input: RunRequest, name: string) {
      const client = options.client ?? sfnClient();
      try {
        const output = await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        if (!output.executionArn) throw new WorkflowError('StartExecution returned no executionArn');
        return { executionArn: output.executionArn, alreadyStarted: false };
      } catch (error) {
        if (
          error instanceof ExecutionAlreadyExists ||
          (error as { name?: unknown })?.name === 'ExecutionAlreadyExists'
        ) {
          // Same name: an earlier attempt of this delivery (or a concurrent copy) started it. Which run
          // it belongs to decides whether this request is that run or a duplicate of it.
          const arn = executionArn(stateMachineArn, name);
          const runId = await this.runIdOf(arn).catch(() => undefined);
          return { executionArn: arn, alreadyStarted: true, ...(runId ? { runId } : {}) };
        }
        if (error instanceof WorkflowError) throw error;
        throw new WorkflowError(`could not start execution ${name}: ${(error as Error)?.message ?? String(error)}`, {
          cause: error,
        });
      }
    },
  };
}
