import type { RunRequest } from '../../workflow/contract.ts';
import { WorkflowError } from '../../workflow/errors.ts';
import { executionArn } from '../../workflow/execution-arn.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { awsErrorCode } from './aws-call-error.ts';
import { awsJson } from './aws-json.ts';
import type { AwsClient } from './create-aws-client.ts';

/**
 * The Workflow over the light client, with the semantics of workflow/sfn-workflow.ts: the execution
 * name is the idempotency key, and `ExecutionAlreadyExists` means an earlier attempt (or a concurrent
 * copy) of this delivery started it, so its ARN and run id are the answer.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export function createFetchSfnWorkflow(options: { stateMachineArn: string; client: AwsClient }): Workflow {
  const { stateMachineArn, client } = options;
  // Fail at start-up, not on the first delivery, when the ARN is not a state machine's.
  executionArn(stateMachineArn, 'probe');
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

  async function runIdOf(arn: string): Promise<string | undefined> {
    try {
      const output = await awsJson<{ input?: string }>(client, 'states:DescribeExecution', { executionArn: arn });
      const runId = (JSON.parse(output.input ?? '{}') as { runId?: unknown }).runId;
      return typeof runId === 'string' ? runId : undefined;
    } catch (error) {
      if (awsErrorCode(error) === 'ExecutionDoesNotExist') return undefined;
      throw new WorkflowError(`could not describe execution ${arn}: ${message(error)}`, { cause: error });
    }
  }

  return {
    executionArn: (name) => executionArn(stateMachineArn, name),
    runIdOf,
    async start(input: RunRequest, name: string) {
      let output: { executionArn?: string };
      try {
        output = await awsJson<{ executionArn?: string }>(client, 'states:StartExecution', {
          stateMachineArn,
          name,
          input: JSON.stringify(input),
        });
      } catch (error) {
        if (awsErrorCode(error) === 'ExecutionAlreadyExists') {
          const arn = executionArn(stateMachineArn, name);
          const runId = await runIdOf(arn).catch(() => undefined);
          return { executionArn: arn, alreadyStarted: true, ...(runId ? { runId } : {}) };
        }
        throw new WorkflowError(`could not start execution ${name}: ${message(error)}`, { cause: error });
      }
      if (!output.executionArn) throw new WorkflowError('StartExecution returned no executionArn');
      return { executionArn: output.executionArn, alreadyStarted: false };
    },
  };
}
