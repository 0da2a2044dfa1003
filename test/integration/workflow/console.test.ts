import { DescribeExecutionCommand, SFNClient, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecordInput } from '../../../functions/lib/run/run-record-input.ts';
import { executionName } from '../../../functions/lib/webhook/execution-name.ts';
import { newRunId } from '../../../functions/lib/webhook/new-run-id.ts';
import { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { startHarness, terraformConfig, type Harness } from '../../helpers/stack-harness.ts';

// What a person sees of a run in the Step Functions console: the execution's name starts with the run
// id, and a failed execution's Error and Cause (DescribeExecution, through the local Step Functions'
// API as the console reads it) say what the run record says; a succeeded one has neither.

let h: Harness;
let sfn: SFNClient;
beforeAll(async () => {
  h = await startHarness();
  sfn = new SFNClient({
    region: 'us-east-1',
    endpoint: h.stack.endpoints.stepfunctions,
    credentials: h.stack.credentials,
  });
});
afterAll(async () => {
  sfn?.destroy();
  await h?.stop();
});

const tf = { 'infra/network/main.tf': 'resource "null_resource" "a" {}\n' };

function describeExecution(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

describe('runs in the Step Functions console', () => {
  it('a failing plan: Error TargetFailed, Cause the run reason naming the target and the build', async () => {
    const config = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_FAIL: 'plan' } } } });
    const repo = await h.repository('console-fail', { 'pushgate.yml': config, ...tf });
    const result = await repo.deploy({}, 'first');

    const execution = await describeExecution(result.execution.executionArn);
    expect(execution.status).toBe('FAILED');
    expect(execution.name).toBe(`${result.run.runId}-console-fail-push-${result.run.sha.slice(0, 7)}`);
    expect(execution.error).toBe('TargetFailed');
    expect(execution.cause).toBe(result.run.reason);
    expect(execution.cause).toMatch(/^network\/staging: build \S+ failed in phase BUILD/);
    expect(execution.cause).not.toContain('Record step output');
  });

  it('an invalid pushgate.yml: Error ValidationFailed, Cause the problems found', async () => {
    const repo = await h.repository('console-invalid', {
      'pushgate.yml':
        'version: 1\nenvironments:\n  staging: { branch: main }\nprojects:\n  - name: net\n    dir: net\n    engine: pulumi\n    environments: [staging]\n',
    });
    const result = await repo.deploy({}, 'broken');
    const execution = await describeExecution(result.execution.executionArn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'ValidationFailed', cause: result.run.reason });
    expect(execution.cause).toContain('projects[0].engine');
  });

  it('a succeeded run: named after its run id, no Error and no Cause', async () => {
    const repo = await h.repository('console-ok', { 'pushgate.yml': terraformConfig(), ...tf });
    const result = await repo.deploy({}, 'first');
    const execution = await describeExecution(result.execution.executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.name).toBe(`${result.run.runId}-console-ok-push-${result.run.sha.slice(0, 7)}`);
    expect(execution.error).toBeUndefined();
    expect(execution.cause).toBeUndefined();

    // An execution whose start the intake gave up on (its run marked failed) may exist after all:
    // it stops at Validate, touches no target, and the console says why. This is what keeps a
    // redelivery's new run (a new run id, so a new execution name) the only one that deploys.
    const started = result.history.find((event) => event.type === 'ExecutionStarted');
    const request = RunRequest.parse(JSON.parse(started!.executionStartedEventDetails!.input!));
    const orphan = { ...request, runId: newRunId() };
    await h.store.createRun(runRecordInput(orphan));
    await h.store.setRunStatus(orphan.runId, 'failed', { reason: 'the workflow did not start: socket hang up' });
    const { executionArn } = h.stack.stepfunctions.startExecution({
      stateMachineArn: h.stack.stateMachineArn,
      name: executionName(orphan),
      input: JSON.stringify(orphan),
    });
    await h.stack.stepfunctions.waitForExecution(executionArn!, { timeoutMs: 60_000 });
    expect(await describeExecution(executionArn!)).toMatchObject({
      status: 'FAILED',
      error: 'RunFailed',
      cause: 'the workflow did not start: socket hang up',
    });
    expect(await h.store.listTargets(orphan.runId)).toEqual([]);
    expect((await h.store.getRun(orphan.runId))?.status).toBe('failed');
  });
});
