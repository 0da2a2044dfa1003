import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../../functions/lib/workflow/contract.ts';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
} from '../../../local/stepfunctions/create-local-step-functions.ts';
import { loadDefinition } from '../../../local/stepfunctions/load-definition.ts';

// The end states of state-machines/deploy.asl.yml (Outcome, Failed, RecordFailedWhy, RecordFailed)
// on the local Step Functions, with the Lambdas answered in-process: what Record returns decides
// the execution's status, Error and Cause. The whole workflow with the real handlers is
// test/integration/workflow/console.test.ts; this one reaches what the stack cannot provoke on
// purpose (Record itself failing).

const definition = loadDefinition(fileURLToPath(new URL('../../../state-machines/deploy.asl.yml', import.meta.url)), {
  functionArn: (name) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  vars: {
    'self:custom.planProjectName': 'pushgate-test-plan',
    'self:custom.applyProjectName': 'pushgate-test-apply',
    'self:custom.lockRetryAttempts': '3',
  },
  refs: { TargetsStateMachine: 'arn:aws:states:us-east-1:000000000000:stateMachine:pushgate-test-targets' },
});

const outcome: RunOutcome = {
  runId: '01RUN',
  repo: 'acme/infra',
  kind: 'push',
  branch: 'main',
  sha: 'a'.repeat(40),
  actor: 'octocat',
  status: 'succeeded',
  targets: [],
};

let sfn: LocalStepFunctions | undefined;
afterEach(async () => sfn?.close());

async function runWithRecord(record: () => unknown) {
  sfn = createLocalStepFunctions({
    fastRetries: true,
    invokeLambda: async (functionName, payload) => {
      const name = functionName.split(':').at(-1);
      if (name === 'validate') return { run: payload, settings: {}, waves: [], targetCount: 0 };
      if (name === 'record') return record();
      if (name === 'notify') return { notifications: [] };
      throw new Error(`unexpected function ${functionName}`);
    },
  });
  const { stateMachineArn } = sfn.createStateMachine('deploy', definition);
  const { executionArn } = sfn.startExecution({ stateMachineArn: stateMachineArn!, input: '{"runId":"01RUN"}' });
  return sfn.waitForExecution(executionArn!, { timeoutMs: 20_000 });
}

describe('deploy.asl.yml end states', () => {
  it('an outcome with error and cause ends the execution Failed with them', async () => {
    const cause = 'network/prod: build pushgate-test-apply:b1 failed in phase BUILD: exit status 1';
    const execution = await runWithRecord(() => ({ ...outcome, status: 'failed', error: 'TargetFailed', cause }));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'TargetFailed', cause });
  });

  it('an outcome without error ends it Succeeded, whatever the status', async () => {
    for (const status of ['succeeded', 'superseded'] as const) {
      const execution = await runWithRecord(() => ({ ...outcome, status, reason: 'a newer run took over' }));
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution).not.toHaveProperty('error');
      await sfn?.close();
    }
  });

  it("Record failing for good: RecordFailed, with Record's own error as the cause", async () => {
    const execution = await runWithRecord(() => {
      throw new Error('run 01RUN has no record');
    });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'RecordFailed' });
    expect(JSON.parse(execution.cause!)).toMatchObject({ errorMessage: 'run 01RUN has no record' });
  });
});
