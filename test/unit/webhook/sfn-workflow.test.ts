import { ExecutionAlreadyExists, InvalidArn, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunRequest } from '../../../functions/lib/run-request.ts';
import { WorkflowError } from '../../../functions/lib/workflow/errors.ts';
import { executionArn } from '../../../functions/lib/workflow/execution-arn.ts';
import { createSfnWorkflow } from '../../../functions/lib/workflow/sfn-workflow.ts';

// Mocked at the SDK transport: there is no local Step Functions endpoint in the repository yet
// (DESIGN.md plans one in local/). Switch to it once it exists.
const sfn = mockClient(SFNClient);

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pushgate-deploy';
const NAME = 'infra-push-ec26c3e-72d3162e-cc78-11e3-81ab-4c9367dc0958';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:pushgate-deploy:${NAME}`;
const input = {
  runId: '01J00000000000000000000000',
  deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  kind: 'push',
  repo: 'octo-org/infra',
  ref: 'refs/heads/main',
  branch: 'main',
  sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
  actor: 'octocat',
  receivedAt: '2025-01-01T00:00:00.000Z',
} satisfies RunRequest;

beforeEach(() => sfn.reset());

describe('executionArn', () => {
  it('turns a state machine ARN into the ARN of one of its executions', () => {
    expect(executionArn(STATE_MACHINE, NAME)).toBe(EXECUTION);
    expect(executionArn('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:x', 'n')).toBe(
      'arn:aws-cn:states:cn-north-1:123456789012:execution:x:n',
    );
  });

  it.each(['', 'pushgate-deploy', 'arn:aws:lambda:eu-west-1:123456789012:function:x', `${EXECUTION}`])(
    'refuses %j',
    (arn) => {
      expect(() => executionArn(arn, NAME)).toThrow(WorkflowError);
    },
  );
});

describe('createSfnWorkflow', () => {
  const client = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

  it('refuses a malformed state machine ARN at creation', () => {
    expect(() => createSfnWorkflow({ stateMachineArn: 'nope', client })).toThrow(WorkflowError);
  });

  it('starts an execution with the given name and the run request as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const workflow = createSfnWorkflow({ stateMachineArn: STATE_MACHINE, client });
    expect(workflow.executionArn(NAME)).toBe(EXECUTION);
    await expect(workflow.start(input, NAME)).resolves.toEqual({ executionArn: EXECUTION, alreadyStarted: false });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE,
      name: NAME,
      input: JSON.stringify(input),
    });
  });

  it('answers the existing execution when a concurrent delivery started it', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${EXECUTION}'`, $metadata: {} }));
    const workflow = createSfnWorkflow({ stateMachineArn: STATE_MACHINE, client });
    await expect(workflow.start(input, NAME)).resolves.toEqual({ executionArn: EXECUTION, alreadyStarted: true });
  });

  it('wraps any other failure in a WorkflowError that keeps the cause', async () => {
    const cause = new InvalidArn({ message: 'Invalid Arn', $metadata: {} });
    sfn.on(StartExecutionCommand).rejects(cause);
    const workflow = createSfnWorkflow({ stateMachineArn: STATE_MACHINE, client });
    const error = await workflow.start(input, NAME).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkflowError);
    expect((error as WorkflowError).name).toBe('WorkflowError');
    expect((error as WorkflowError).message).toBe(`could not start execution ${NAME}: Invalid Arn`);
    expect((error as WorkflowError).cause).toBe(cause);
  });

  it('treats an answer without an ARN as a failure', async () => {
    sfn.on(StartExecutionCommand).resolves({});
    const workflow = createSfnWorkflow({ stateMachineArn: STATE_MACHINE, client });
    await expect(workflow.start(input, NAME)).rejects.toThrow('StartExecution returned no executionArn');
  });

  it('uses a shared client when none is injected', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const workflow = createSfnWorkflow({ stateMachineArn: STATE_MACHINE });
    await expect(workflow.start(input, NAME)).resolves.toMatchObject({ alreadyStarted: false });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });
});
