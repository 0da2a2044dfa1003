import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { WorkflowError } from '../../../functions/lib/workflow/errors.ts';
import { executionArn } from '../../../functions/lib/workflow/execution-arn.ts';
import { createSfnWorkflow } from '../../../functions/lib/workflow/sfn-workflow.ts';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import {
  startStepFunctions,
  type LocalStepFunctionsServer,
} from '../../../local/stepfunctions/start-step-functions.ts';

// Against the local Step Functions endpoint (local/stepfunctions), with the real SFN client: a state
// machine whose executions wait, so that a second start of the same name finds the first running.
/** The credentials the stand-in accepts (the local stack's; made up here) and the client signs with. */
const credentials = createLocalCredentials();
const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pushgate-deploy';
const NAME = 'infra-push-ec26c3e-72d3162e-cc78-11e3-81ab-4c9367dc0958';
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

let server: LocalStepFunctionsServer;
let client: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
  server = await startStepFunctions({ credentials });
  stateMachineArn = server.stepFunctions.createStateMachine('pushgate-deploy', {
    StartAt: 'Hold',
    States: { Hold: { Type: 'Wait', Seconds: 30, End: true } },
  }).stateMachineArn!;
  client = new SFNClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials,
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

describe('executionArn', () => {
  it('turns a state machine ARN into the ARN of one of its executions', () => {
    expect(executionArn(STATE_MACHINE, NAME)).toBe(
      `arn:aws:states:eu-west-1:123456789012:execution:pushgate-deploy:${NAME}`,
    );
    expect(executionArn('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:x', 'n')).toBe(
      'arn:aws-cn:states:cn-north-1:123456789012:execution:x:n',
    );
  });

  it.each([
    '',
    'pushgate-deploy',
    'arn:aws:lambda:eu-west-1:123456789012:function:x',
    executionArn(STATE_MACHINE, NAME),
  ])('refuses %j', (arn) => {
    expect(() => executionArn(arn, NAME)).toThrow(WorkflowError);
  });
});

describe('createSfnWorkflow', () => {
  it('refuses a malformed state machine ARN at creation', () => {
    expect(() => createSfnWorkflow({ stateMachineArn: 'nope', client })).toThrow(WorkflowError);
  });

  it('starts an execution with the given name and the run request as input', async () => {
    const workflow = createSfnWorkflow({ stateMachineArn, client });
    const started = await workflow.start(input, `${NAME}-a`);
    expect(started).toEqual({ executionArn: workflow.executionArn(`${NAME}-a`), alreadyStarted: false });
    const described = server.stepFunctions.describeExecution(started.executionArn);
    expect(JSON.parse(described.input!)).toEqual(input);
    expect(await workflow.runIdOf(started.executionArn)).toBe(input.runId);
  });

  it('answers the existing execution, and whose run it is, when another attempt of the delivery started it', async () => {
    const workflow = createSfnWorkflow({ stateMachineArn, client });
    await workflow.start(input, `${NAME}-b`);
    const again = await workflow.start({ ...input, runId: '01J99999999999999999999999' }, `${NAME}-b`);
    expect(again).toEqual({
      executionArn: workflow.executionArn(`${NAME}-b`),
      alreadyStarted: true,
      runId: input.runId,
    });
  });

  it('knows no run for an execution that does not exist', async () => {
    const workflow = createSfnWorkflow({ stateMachineArn, client });
    expect(await workflow.runIdOf(workflow.executionArn('never-started'))).toBeUndefined();
  });

  it('wraps any other failure in a WorkflowError that keeps the cause', async () => {
    const missing = stateMachineArn.replace(/pushgate-deploy$/, 'no-such-machine');
    const workflow = createSfnWorkflow({ stateMachineArn: missing, client });
    const error = await workflow.start(input, NAME).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkflowError);
    expect((error as WorkflowError).message).toMatch(new RegExp(`^could not start execution ${NAME}: `));
    expect(((error as WorkflowError).cause as Error).name).toBe('StateMachineDoesNotExist');
  });

  it('uses a shared client honouring AWS_ENDPOINT_URL_SFN when none is injected', async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SFN: server.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    });
    const workflow = createSfnWorkflow({ stateMachineArn });
    await expect(workflow.start(input, `${NAME}-c`)).resolves.toMatchObject({ alreadyStarted: false });
  });
});
