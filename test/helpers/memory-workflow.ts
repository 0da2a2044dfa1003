import type { RunRequest } from '../../functions/lib/workflow/contract.ts';
import { executionArn } from '../../functions/lib/workflow/execution-arn.ts';
import type { Workflow } from '../../functions/lib/workflow/workflow.ts';

export const TEST_STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pushgate-deploy';

/** An in-memory Workflow double: records each start, and refuses a second start of a name as Step Functions does. */
export type MemoryWorkflow = Workflow & { started: Map<string, RunRequest> };

export function createMemoryWorkflow(stateMachineArn = TEST_STATE_MACHINE_ARN): MemoryWorkflow {
  const started = new Map<string, RunRequest>();
  return {
    started,
    executionArn: (name) => executionArn(stateMachineArn, name),
    async start(input, name) {
      const existing = started.get(name);
      if (!existing) started.set(name, input);
      return {
        executionArn: executionArn(stateMachineArn, name),
        alreadyStarted: existing !== undefined,
        ...(existing ? { runId: existing.runId } : {}),
      };
    },
    async runIdOf(arn) {
      return started.get(arn.split(':').pop() ?? '')?.runId;
    },
  };
}
