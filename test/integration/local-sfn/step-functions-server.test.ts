import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import {
  startStepFunctions,
  type LocalStepFunctionsServer,
} from '../../../local/stepfunctions/start-step-functions.ts';
import { eventually } from '../local-codebuild/fixtures.ts';

/** The credentials the stand-in accepts (the local stack's; made up here) and the client signs with. */
const credentials = createLocalCredentials();

const tokens: string[] = [];
let server: LocalStepFunctionsServer;
let client: SFNClient;
let stateMachineArn: string;

// Waits for a task token, then greets whoever the input names.
const definition = {
  StartAt: 'Greet',
  States: {
    Greet: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:greet',
      ResultPath: '$.greeting',
      Next: 'Approve',
    },
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'request-approval', Payload: { 'token.$': '$$.Task.Token' } },
      ResultPath: '$.approval',
      End: true,
    },
  },
};

beforeAll(async () => {
  server = await startStepFunctions({
    credentials,
    invokeLambda: async (name, payload) => {
      if (name === 'greet') return `hello ${(payload as { who: string }).who}`;
      tokens.push((payload as { token: string }).token);
      return null;
    },
    // Neither CodeBuild nor DynamoDB is used by these definitions.
    codebuild: {
      startBuild: () => Promise.reject(new Error('unused')),
      batchGetBuilds: () => Promise.reject(new Error('unused')),
      stopBuild: () => Promise.reject(new Error('unused')),
    },
  });
  client = new SFNClient({
    endpoint: server.env.AWS_ENDPOINT_URL_SFN,
    region: 'us-east-1',
    credentials,
  });
  const created = await client.send(
    new CreateStateMachineCommand({
      name: 'greeter',
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::000000000000:role/sfn',
    }),
  );
  stateMachineArn = created.stateMachineArn!;
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

async function nextToken(count: number): Promise<string> {
  await eventually(() => tokens.length >= count, `task token ${count} arrived`);
  return tokens[count - 1]!;
}

async function finished(executionArn: string) {
  await server.stepFunctions.waitForExecution(executionArn, { timeoutMs: 10_000 });
  return client.send(new DescribeExecutionCommand({ executionArn }));
}

describe('local Step Functions endpoint (JSON 1.0) with @aws-sdk/client-sfn', () => {
  it('creates, describes and lists state machines', async () => {
    expect(stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:greeter');
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(described).toMatchObject({
      name: 'greeter',
      status: 'ACTIVE',
      type: 'STANDARD',
      roleArn: 'arn:aws:iam::000000000000:role/sfn',
    });
    expect(JSON.parse(described.definition!)).toEqual(definition);
    expect(described.creationDate).toBeInstanceOf(Date);
    const listed = await client.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((machine) => machine.name)).toEqual(['greeter']);
  });

  it('runs an execution to the end through SendTaskHeartbeat and SendTaskSuccess, with its history', async () => {
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'run-1', input: '{"who":"octocat"}' }),
    );
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:greeter:run-1');
    expect(started.startDate).toBeInstanceOf(Date);
    const token = await nextToken(1);
    const running = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'run-1', input: '{"who":"octocat"}', stateMachineArn });
    expect(running.stopDate).toBeUndefined();

    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"by":"hubot"}' }));
    const done = await finished(started.executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ who: 'octocat', greeting: 'hello octocat', approval: { by: 'hubot' } });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());

    const all = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    expect(all.events?.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(all.events?.[0]?.timestamp).toBeInstanceOf(Date);

    // Paging backwards three at a time gives the same events, newest first.
    const pages: HistoryEvent[] = [];
    let next: string | undefined;
    do {
      const page = await client.send(
        new GetExecutionHistoryCommand({
          executionArn: started.executionArn,
          reverseOrder: true,
          maxResults: 3,
          nextToken: next,
        }),
      );
      expect(page.events!.length).toBeLessThanOrEqual(3);
      pages.push(...page.events!);
      next = page.nextToken;
    } while (next);
    expect(pages.map((event) => event.id)).toEqual(all.events!.map((event) => event.id).reverse());

    const withoutData = await client.send(
      new GetExecutionHistoryCommand({ executionArn: started.executionArn, includeExecutionData: false }),
    );
    expect(withoutData.events?.[1]?.stateEnteredEventDetails).toEqual({ name: 'Greet' });
  });

  it('makes StartExecution idempotent while running, stops executions and lists them', async () => {
    const request = { stateMachineArn, name: 'run-2', input: '{"who":"mona"}' };
    const first = await client.send(new StartExecutionCommand(request));
    const token = await nextToken(2);
    const again = await client.send(new StartExecutionCommand(request));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      client.send(new StartExecutionCommand({ ...request, input: '{"who":"someone-else"}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    const running = await client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
    expect(running.executions?.map((execution) => execution.name)).toEqual(['run-2']);

    const stopped = await client.send(
      new StopExecutionCommand({ executionArn: first.executionArn, error: 'Superseded', cause: 'newer push' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await finished(first.executionArn!);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Superseded', cause: 'newer push' });
    const last = await client.send(
      new GetExecutionHistoryCommand({ executionArn: first.executionArn, reverseOrder: true, maxResults: 1 }),
    );
    expect(last.events?.[0]?.type).toBe('ExecutionAborted');
    await expect(client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Late' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });

    const all = await client.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(all.executions?.map((execution) => [execution.name, execution.status])).toEqual([
      ['run-2', 'ABORTED'],
      ['run-1', 'SUCCEEDED'],
    ]);
  });

  it('answers with the API errors the SDK knows', async () => {
    await expect(
      client.send(
        new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope' }),
      ),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      client.send(
        new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:greeter:nope' }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'bogus', output: '{}' }))).rejects.toBeInstanceOf(
      InvalidToken,
    );
    await expect(
      client.send(
        new CreateStateMachineCommand({ name: 'bad', definition: '{"StartAt":"X","States":{}}', roleArn: 'r' }),
      ),
    ).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn, input: 'not json' }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
  });
});
