import { afterEach, describe, expect, it } from 'vitest';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
} from '../../../local/stepfunctions/create-local-step-functions.ts';
import { childExecutionArns, runHistory } from '../../../functions/lib/workflow/child-executions.ts';

// states:startExecution.sync:2 on the local Step Functions, as the deploy state machine's RunTargets
// uses it: the child runs in the same Step Functions, the parent waits for it and gets DescribeExecution
// in PascalCase (Input and Output as JSON), a child that does not succeed fails the task with
// States.TaskFailed and that JSON as Cause, and stopping the parent stops the child.
// https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
let sfn: LocalStepFunctions | undefined;
afterEach(async () => sfn?.close());

function start(handlers: Record<string, (payload: unknown) => unknown>) {
  sfn = createLocalStepFunctions({
    fastRetries: true,
    invokeLambda: async (name, payload) => {
      const handler = handlers[name.split(':').at(-1)!];
      if (!handler) throw new Error(`no handler ${name}`);
      return handler(payload);
    },
  });
  const child = sfn.createStateMachine('child', {
    StartAt: 'Work',
    States: { Work: { Type: 'Task', Resource: fn('work'), End: true } },
  }).stateMachineArn!;
  const parent = sfn.createStateMachine('parent', {
    StartAt: 'RunChild',
    States: {
      RunChild: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: {
          StateMachineArn: child,
          'Name.$': '$.name',
          Input: { 'value.$': '$.value', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
        },
        ResultSelector: { 'status.$': '$.Status', 'output.$': '$.Output', 'arn.$': '$.ExecutionArn' },
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  }).stateMachineArn!;
  return { sfn, parent, child };
}

const history = (stepfunctions: LocalStepFunctions, arn: string) =>
  stepfunctions.getExecutionHistory({ executionArn: arn, maxResults: 1000 }).events ?? [];

describe('states:startExecution.sync:2 on the local Step Functions', () => {
  it("waits for the child and returns its output; the run's history includes the child's", async () => {
    const { sfn, parent, child } = start({
      work: (payload) => ({ doubled: (payload as { value: number }).value * 2 }),
    });
    const { executionArn } = sfn.startExecution({
      stateMachineArn: parent,
      input: JSON.stringify({ name: 'run1-w0-c0', value: 21 }),
    });
    const done = await sfn.waitForExecution(executionArn!, { timeoutMs: 10_000 });
    const childArn = child.replace(':stateMachine:', ':execution:') + ':run1-w0-c0';
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ status: 'SUCCEEDED', output: { doubled: 42 }, arn: childArn });
    expect(JSON.parse(sfn.describeExecution(childArn).input!)).toEqual({
      value: 21,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn,
    });
    const own = history(sfn, executionArn!);
    expect(childExecutionArns(own)).toEqual([childArn]);
    const names = (await runHistory(executionArn!, (arn) => history(sfn, arn))).flatMap((e) =>
      e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
    );
    expect(names).toEqual(['RunChild', 'Work']);
  });

  it('a child that fails fails the task with States.TaskFailed, its description as the cause', async () => {
    const { sfn, parent } = start({
      work: () => {
        throw Object.assign(new Error('boom'), { name: 'WorkError' });
      },
    });
    const { executionArn } = sfn.startExecution({ stateMachineArn: parent, input: '{"name":"run2-w0-c0","value":1}' });
    const done = await sfn.waitForExecution(executionArn!, { timeoutMs: 10_000 });
    const { error } = JSON.parse(done.output!) as { error: { Error: string; Cause: string } };
    expect(error.Error).toBe('States.TaskFailed');
    expect(JSON.parse(error.Cause)).toMatchObject({ Status: 'FAILED', Error: 'WorkError', Name: 'run2-w0-c0' });
  });

  it('stopping the parent stops the child', async () => {
    let release: () => void = () => undefined;
    const { sfn, parent, child } = start({
      work: () => new Promise<unknown>((resolve) => (release = () => resolve({}))),
    });
    const { executionArn } = sfn.startExecution({ stateMachineArn: parent, input: '{"name":"run3-w0-c0","value":1}' });
    const childArn = child.replace(':stateMachine:', ':execution:') + ':run3-w0-c0';
    for (let i = 0; i < 200 && !sfn.listExecutions({ stateMachineArn: child }).executions?.length; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    sfn.stopExecution({ executionArn: executionArn!, error: 'Cancelled', cause: 'by hand' });
    expect((await sfn.waitForExecution(childArn, { timeoutMs: 10_000 })).status).toBe('ABORTED');
    expect((await sfn.waitForExecution(executionArn!, { timeoutMs: 10_000 })).status).toBe('ABORTED');
    release();
  });

  it('a name taken by an ended child fails the start as StepFunctions.ExecutionAlreadyExists', async () => {
    const { sfn, parent } = start({ work: () => ({}) });
    const first = sfn.startExecution({ stateMachineArn: parent, name: 'a', input: '{"name":"same","value":1}' });
    await sfn.waitForExecution(first.executionArn!, { timeoutMs: 10_000 });
    const second = sfn.startExecution({ stateMachineArn: parent, name: 'b', input: '{"name":"same","value":2}' });
    const done = await sfn.waitForExecution(second.executionArn!, { timeoutMs: 10_000 });
    expect(JSON.parse(done.output!)).toMatchObject({ error: { Error: 'StepFunctions.ExecutionAlreadyExists' } });
  });
});
