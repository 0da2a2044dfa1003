import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClient, type AwsClient } from '../../../functions/lib/runtime/aws-fetch/create-aws-client.ts';
import { createFetchSfnWorkflow } from '../../../functions/lib/runtime/aws-fetch/sfn-workflow-fetch.ts';
import type { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { WorkflowError } from '../../../functions/lib/workflow/errors.ts';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import {
  startStepFunctions,
  type LocalStepFunctionsServer,
} from '../../../local/stepfunctions/start-step-functions.ts';

// The webhook's Workflow over the light client, against the local Step Functions endpoint (which
// checks SigV4 for `states`), with the cases test/unit/webhook/sfn-workflow.test.ts runs for the
// SDK one: the same semantics.
const credentials = createLocalCredentials();
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
let client: AwsClient;
let stateMachineArn: string;

beforeAll(async () => {
  server = await startStepFunctions({ credentials });
  stateMachineArn = server.stepFunctions.createStateMachine('pushgate-deploy', {
    StartAt: 'Hold',
    States: { Hold: { Type: 'Wait', Seconds: 30, End: true } },
  }).stateMachineArn!;
  client = createAwsClient({
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SFN: server.url,
    },
  });
});
afterAll(async () => {
  await server?.stop();
});

describe('createFetchSfnWorkflow', () => {
  it('refuses a malformed state machine ARN at creation', () => {
    expect(() => createFetchSfnWorkflow({ stateMachineArn: 'nope', client })).toThrow(WorkflowError);
  });

  it('starts an execution with the given name and the run request as input', async () => {
    const workflow = createFetchSfnWorkflow({ stateMachineArn, client });
    const started = await workflow.start(input, `${NAME}-a`);
    expect(started).toEqual({ executionArn: workflow.executionArn(`${NAME}-a`), alreadyStarted: false });
    const described = server.stepFunctions.describeExecution(started.executionArn);
    expect(JSON.parse(described.input!)).toEqual(input);
    expect(await workflow.runIdOf(started.executionArn)).toBe(input.runId);
  });

  it('answers the existing execution, and whose run it is, when another attempt of the delivery started it', async () => {
    const workflow = createFetchSfnWorkflow({ stateMachineArn, client });
    await workflow.start(input, `${NAME}-b`);
    const again = await workflow.start({ ...input, runId: '01J99999999999999999999999' }, `${NAME}-b`);
    expect(again).toEqual({
      executionArn: workflow.executionArn(`${NAME}-b`),
      alreadyStarted: true,
      runId: input.runId,
    });
  });

  it('knows no run for an execution that does not exist', async () => {
    const workflow = createFetchSfnWorkflow({ stateMachineArn, client });
    expect(await workflow.runIdOf(workflow.executionArn('never-started'))).toBeUndefined();
  });

  it('wraps any other failure in a WorkflowError that keeps the cause and its AWS code', async () => {
    const missing = stateMachineArn.replace(/pushgate-deploy$/, 'no-such-machine');
    const workflow = createFetchSfnWorkflow({ stateMachineArn: missing, client });
    const error = await workflow.start(input, NAME).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkflowError);
    expect((error as WorkflowError).message).toMatch(new RegExp(`^could not start execution ${NAME}: `));
    expect((error as WorkflowError).cause).toMatchObject({ name: 'AwsCallError', code: 'StateMachineDoesNotExist' });
  });

  it('wraps a refused signature too (the stand-in checks SigV4 for `states`)', async () => {
    const unsigned = createAwsClient({
      env: {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: 'wrong',
        AWS_ENDPOINT_URL_SFN: server.url,
      },
    });
    const workflow = createFetchSfnWorkflow({ stateMachineArn, client: unsigned });
    const error = await workflow.start(input, `${NAME}-d`).catch((thrown: unknown) => thrown);
    expect((error as WorkflowError).cause).toMatchObject({ code: 'InvalidSignatureException' });
  });
});
