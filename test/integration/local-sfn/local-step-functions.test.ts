import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCodeBuild, type LocalCodeBuild } from '../../../local/codebuild/create-local-codebuild.ts';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
} from '../../../local/stepfunctions/create-local-step-functions.ts';
import { startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { createGitRepo, eventually } from '../local-codebuild/fixtures.ts';

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

class LockHeldError extends Error {
  override name = 'LockHeldError';
}

let root: string;
let repo: string;
let sha: string;
let dynamo: RunningDynalite;
let codebuild: LocalCodeBuild;
let sfn: LocalStepFunctions;
const events: HistoryEvent[] = [];
const invocations: Array<{ name: string; payload: unknown }> = [];
const approvals: Array<{ token: string }> = [];
const flaky = new Map<string, number>();

const handlers: Record<string, (payload: unknown) => unknown> = {
  double: (payload) => ({ value: (payload as { value: number }).value * 2 }),
  echo: (payload) => payload,
  flaky: (payload) => {
    const { key, failures } = payload as { key: string; failures: number };
    const seen = (flaky.get(key) ?? 0) + 1;
    flaky.set(key, seen);
    if (seen <= failures) throw new LockHeldError(`held (attempt ${seen})`);
    return { attempts: seen };
  },
  'request-approval': (payload) => {
    approvals.push(payload as { token: string });
    return { requested: true };
  },
};

async function invokeLambda(name: string, payload: unknown): Promise<unknown> {
  invocations.push({ name, payload });
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return handler(payload);
}

function machine(name: string, definition: object): string {
  return sfn.createStateMachine(name, definition).stateMachineArn!;
}

async function execute(stateMachineArn: string, input: unknown, name?: string) {
  const { executionArn } = sfn.startExecution({
    stateMachineArn,
    input: JSON.stringify(input),
    ...(name ? { name } : {}),
  });
  const result = await sfn.waitForExecution(executionArn!, { timeoutMs: 20_000 });
  const history = sfn.getExecutionHistory({ executionArn: executionArn!, maxResults: 1000 }).events!;
  return { ...result, history, types: history.map((event) => event.type) };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-sfn-test-'));
  repo = join(root, 'repo');
  sha = createGitRepo(repo, [{ 'main.tf': '# infra\n' }])[0]!;
  dynamo = await startDynalite();
  await dynamo.client.send(
    new CreateTableCommand({
      TableName: 'locks',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  codebuild = createLocalCodeBuild({ projects: { plan: {} }, workRoot: join(root, 'work') });
  sfn = createLocalStepFunctions({
    invokeLambda,
    codebuild,
    dynamodb: dynamo.client,
    fastRetries: true,
    syncPollIntervalMs: 20,
    onEvent: (event) => events.push(event),
  });
});

afterAll(async () => {
  await sfn.close();
  await codebuild.close();
  await dynamo.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('local Step Functions', () => {
  const choiceAndMap = {
    StartAt: 'Double',
    States: {
      Double: {
        Type: 'Task',
        Resource: fn('double'),
        Parameters: { 'value.$': '$.value' },
        ResultPath: '$.doubled',
        Next: 'Big?',
      },
      'Big?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.doubled.value', NumericGreaterThan: 10, Next: 'Fan' }],
        Default: 'Small',
      },
      Small: { Type: 'Pass', Result: 'small', ResultPath: '$.size', End: true },
      Fan: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemSelector: { 'item.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
        ItemProcessor: {
          StartAt: 'Each',
          States: {
            Each: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: {
                FunctionName: fn('echo'),
                Payload: {
                  'item.$': '$.item',
                  'index.$': '$.index',
                  'run.$': '$$.Execution.Input.run',
                  'state.$': '$$.State.Name',
                },
              },
              OutputPath: '$.Payload',
              End: true,
            },
          },
        },
        ResultPath: '$.results',
        End: true,
      },
    },
  };

  it('runs a Lambda task and a Choice, with the history in the API shape', async () => {
    const arn = machine('choice-and-map', choiceAndMap);
    const result = await execute(arn, { value: 1 });
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({ value: 1, doubled: { value: 2 }, size: 'small' });
    expect(result.types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    result.history.forEach((event, index) => {
      expect(event.id).toBe(index + 1);
      expect(event.previousEventId).toBe(index);
      expect(event.timestamp).toBeInstanceOf(Date);
    });
    expect(result.history[0]!.executionStartedEventDetails).toMatchObject({
      input: '{"value":1}',
      roleArn: expect.stringContaining(':role/'),
    });
    expect(result.history[1]!.stateEnteredEventDetails).toEqual({
      name: 'Double',
      input: '{"value":1}',
      inputDetails: { truncated: false },
    });
    expect(result.history[2]!.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: fn('double'),
      input: '{"value":1}',
    });
    expect(result.history[5]!.stateExitedEventDetails).toMatchObject({
      name: 'Double',
      output: '{"value":1,"doubled":{"value":2}}',
    });
    expect(result.history.at(-1)!.executionSucceededEventDetails?.output).toBe(result.output);
    expect(events.filter((event) => event.executionStartedEventDetails?.input === '{"value":1}')).toHaveLength(1);
  });

  it('runs a Map with ItemSelector; iterations see the execution input and their state name', async () => {
    const arn = machine('choice-and-map', choiceAndMap);
    const result = await execute(arn, { value: 6, items: ['a', 'b'], run: 'run-1' });
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!).results).toEqual([
      { item: 'a', index: 0, run: 'run-1', state: 'Each' },
      { item: 'b', index: 1, run: 'run-1', state: 'Each' },
    ]);
    const started = result.history.find((event) => event.type === 'MapStateStarted');
    expect(started?.mapStateStartedEventDetails).toEqual({ length: 2 });
    const iterations = result.history
      .filter((event) => event.type === 'MapIterationStarted')
      .map((event) => event.mapIterationStartedEventDetails);
    expect(iterations).toEqual(
      expect.arrayContaining([
        { name: 'Fan', index: 0 },
        { name: 'Fan', index: 1 },
      ]),
    );
    const scheduled = result.history.filter((event) => event.type === 'TaskScheduled');
    expect(scheduled.map((event) => event.taskScheduledEventDetails)).toEqual([
      expect.objectContaining({ resourceType: 'lambda', resource: 'invoke', region: 'us-east-1' }),
      expect.objectContaining({ resourceType: 'lambda', resource: 'invoke' }),
    ]);
    // Iterations run concurrently, so their events interleave, as on Step Functions.
    const start = result.types.indexOf('MapStateStarted');
    const end = result.types.indexOf('MapStateSucceeded');
    expect(result.types.slice(start - 1, start + 2)).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
    ]);
    expect(result.types.slice(end - 1)).toEqual([
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    const inside = result.types.slice(start + 1, end);
    for (const type of [
      'MapIterationStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'MapIterationSucceeded',
    ]) {
      expect(inside.filter((candidate) => candidate === type)).toHaveLength(2);
    }
    expect(inside.indexOf('TaskScheduled')).toBeGreaterThan(inside.indexOf('TaskStateEntered'));
    expect(inside.lastIndexOf('TaskStateExited')).toBeGreaterThan(inside.lastIndexOf('TaskSucceeded'));
  });

  it('retries a custom error name with the state entered once, then catches when the attempts run out', async () => {
    const definition = {
      StartAt: 'Acquire',
      States: {
        Acquire: {
          Type: 'Task',
          Resource: fn('flaky'),
          Parameters: { 'key.$': '$.key', 'failures.$': '$.failures', 'waitingSince.$': '$$.State.EnteredTime' },
          Retry: [{ ErrorEquals: ['LockHeldError'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'GaveUp' }],
          ResultPath: '$.lock',
          End: true,
        },
        GaveUp: { Type: 'Pass', End: true },
      },
    };
    const arn = machine('retry', definition);
    invocations.length = 0;
    const retried = await execute(arn, { key: 'twice', failures: 2 });
    expect(retried.status).toBe('SUCCEEDED');
    expect(JSON.parse(retried.output!).lock).toEqual({ attempts: 3 });
    expect(retried.types.filter((type) => type === 'LambdaFunctionScheduled')).toHaveLength(3);
    expect(retried.types.filter((type) => type === 'TaskStateEntered')).toHaveLength(1);
    const failed = retried.history
      .filter((event) => event.type === 'LambdaFunctionFailed')
      .map((event) => event.lambdaFunctionFailedEventDetails);
    expect(failed).toHaveLength(2);
    expect(failed[0]?.error).toBe('LockHeldError');
    expect(JSON.parse(failed[0]!.cause!)).toMatchObject({
      errorType: 'LockHeldError',
      errorMessage: 'held (attempt 1)',
      trace: expect.any(Array),
    });
    // $$.State.EnteredTime is when the state was entered, the same for every attempt.
    const since = invocations.map((call) => (call.payload as { waitingSince: string }).waitingSince);
    expect(since).toHaveLength(3);
    expect(new Set(since).size).toBe(1);
    expect(Number.isNaN(Date.parse(since[0]!))).toBe(false);

    const exhausted = await execute(arn, { key: 'always', failures: 99 });
    expect(exhausted.status).toBe('SUCCEEDED');
    expect(flaky.get('always')).toBe(4);
    const error = JSON.parse(exhausted.output!).error as { Error: string; Cause: string };
    expect(error.Error).toBe('LockHeldError');
    expect(JSON.parse(error.Cause)).toMatchObject({ errorType: 'LockHeldError', errorMessage: 'held (attempt 4)' });
  });

  it('fails the execution with the error of an uncaught task failure', async () => {
    const arn = machine('uncaught', {
      StartAt: 'Missing',
      States: { Missing: { Type: 'Task', Resource: fn('not-there'), End: true } },
    });
    const result = await execute(arn, {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Error');
    expect(JSON.parse(result.cause!)).toMatchObject({ errorMessage: 'no handler not-there' });
    expect(result.types.slice(-2)).toEqual(['LambdaFunctionFailed', 'ExecutionFailed']);
    expect(result.history.at(-1)!.executionFailedEventDetails).toEqual({ error: 'Error', cause: result.cause });
  });

  const approval = {
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: fn('request-approval'),
          Payload: { 'token.$': '$$.Task.Token', 'target.$': '$.target' },
        },
        ResultPath: '$.approval',
        End: true,
      },
    },
  };

  async function waitForApprovalRequest(count: number): Promise<string> {
    await eventually(() => approvals.length >= count, `approval request ${count} arrived`);
    return approvals[count - 1]!.token;
  }

  it('waits for a task token: SendTaskSuccess resumes, later sends are TaskTimedOut, unknown tokens InvalidToken', async () => {
    const arn = machine('approval', approval);
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, input: '{"target":"prod"}' });
    const token = await waitForApprovalRequest(approvals.length + 1);
    expect(sfn.describeExecution(executionArn!).status).toBe('RUNNING');
    await eventually(
      () =>
        sfn
          .getExecutionHistory({ executionArn: executionArn! })
          .events!.some((event) => event.type === 'TaskSubmitted'),
      'the task is submitted',
    );
    sfn.sendTaskHeartbeat({ taskToken: token });
    sfn.sendTaskSuccess({ taskToken: token, output: '{"approvedBy":"octocat"}' });
    const done = await sfn.waitForExecution(executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ target: 'prod', approval: { approvedBy: 'octocat' } });
    const types = sfn.getExecutionHistory({ executionArn: executionArn! }).events!.map((event) => event.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(() => sfn.sendTaskSuccess({ taskToken: token, output: '{}' })).toThrow(
      expect.objectContaining({ code: 'TaskTimedOut' }),
    );
    expect(() => sfn.sendTaskSuccess({ taskToken: 'not-a-token', output: '{}' })).toThrow(
      expect.objectContaining({ code: 'InvalidToken' }),
    );
  });

  it('SendTaskFailure fails the task with the error and cause given', async () => {
    const arn = machine('approval', approval);
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, input: '{"target":"prod"}' });
    const token = await waitForApprovalRequest(approvals.length + 1);
    expect(() => sfn.sendTaskSuccess({ taskToken: token, output: 'not json' })).toThrow(
      expect.objectContaining({ code: 'InvalidOutput' }),
    );
    sfn.sendTaskFailure({ taskToken: token, error: 'ApprovalRejected', cause: 'octocat said no' });
    const done = await sfn.waitForExecution(executionArn!);
    expect(done).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected', cause: 'octocat said no' });
  });

  it('fails a task without a heartbeat within HeartbeatSeconds, and one past its TimeoutSeconds', async () => {
    const heartbeat = machine('heartbeat', {
      ...approval,
      States: { Approve: { ...approval.States.Approve, HeartbeatSeconds: 1 } },
    });
    const timeout = machine('timeout', {
      ...approval,
      States: { Approve: { ...approval.States.Approve, TimeoutSeconds: 1 } },
    });
    const [missedHeartbeat, timedOut] = await Promise.all([
      execute(heartbeat, { target: 'a' }),
      execute(timeout, { target: 'b' }),
    ]);
    expect(missedHeartbeat).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    expect(
      missedHeartbeat.history.find((event) => event.type === 'TaskTimedOut')?.taskTimedOutEventDetails,
    ).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'States.HeartbeatTimeout',
    });
    expect(timedOut).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(timedOut.types.slice(-2)).toEqual(['TaskTimedOut', 'ExecutionFailed']);
  });

  const planDefinition = {
    StartAt: 'Plan',
    States: {
      Plan: {
        Type: 'Task',
        Resource: 'arn:aws:states:::codebuild:startBuild.sync',
        Parameters: {
          ProjectName: 'plan',
          'SourceLocationOverride.$': '$.repo',
          'SourceVersion.$': '$.sha',
          'BuildspecOverride.$': '$.buildspec',
          EnvironmentVariablesOverride: [{ Name: 'TARGET', Type: 'PLAINTEXT', 'Value.$': '$.target' }],
        },
        ResultSelector: {
          'buildId.$': '$.Build.Id',
          'status.$': '$.Build.BuildStatus',
          'exported.$': '$.Build.ExportedEnvironmentVariables',
        },
        ResultPath: '$.plan',
        Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'PlanFailed' }],
        End: true,
      },
      PlanFailed: { Type: 'Pass', End: true },
    },
  };

  it('runs codebuild:startBuild.sync against the local CodeBuild; a failed build is States.TaskFailed', async () => {
    const arn = machine('plan', planDefinition);
    const ok = await execute(arn, {
      repo,
      sha,
      target: 'staging',
      buildspec:
        'version: 0.2\nenv:\n  exported-variables: [RESULT]\nphases:\n  build:\n    commands:\n      - echo "target=$TARGET"\n      - export RESULT=planned\n',
    });
    expect(ok.status).toBe('SUCCEEDED');
    const plan = JSON.parse(ok.output!).plan as { buildId: string; status: string; exported: unknown };
    expect(plan).toEqual({
      buildId: expect.stringMatching(/^plan:/),
      status: 'SUCCEEDED',
      exported: [{ Name: 'RESULT', Value: 'planned' }],
    });
    expect(codebuild.getLogs(plan.buildId).split('\n')).toContain('target=staging');
    expect(ok.types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const scheduled = ok.history[2]!.taskScheduledEventDetails!;
    expect(scheduled).toMatchObject({ resourceType: 'codebuild', resource: 'startBuild.sync' });
    expect(JSON.parse(scheduled.parameters!)).toMatchObject({ ProjectName: 'plan', SourceVersion: sha });

    const failed = await execute(arn, {
      repo,
      sha,
      target: 'prod',
      buildspec: 'version: 0.2\nphases:\n  build:\n    commands: ["false"]\n',
    });
    expect(failed.status).toBe('SUCCEEDED');
    const error = JSON.parse(failed.output!).error as { Error: string; Cause: string };
    expect(error.Error).toBe('States.TaskFailed');
    const cause = JSON.parse(error.Cause) as {
      Build: { BuildStatus: string; Phases: Array<{ PhaseType: string; PhaseStatus?: string }>; StartTime: number };
    };
    expect(cause.Build.BuildStatus).toBe('FAILED');
    expect(cause.Build.Phases).toContainEqual(expect.objectContaining({ PhaseType: 'BUILD', PhaseStatus: 'FAILED' }));
    expect(typeof cause.Build.StartTime).toBe('number');
    expect(failed.history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      resourceType: 'codebuild',
      error: 'States.TaskFailed',
    });
  });

  it('runs dynamodb:putItem against dynalite; a failed condition is DynamoDB.ConditionalCheckFailedException', async () => {
    const arn = machine('lock', {
      StartAt: 'Lock',
      States: {
        Lock: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: {
            TableName: 'locks',
            Item: { pk: { 'S.$': '$.lockId' }, owner: { 'S.$': '$$.Execution.Name' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
          ResultPath: null,
          Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'Held' }],
          Next: 'Got',
        },
        Got: { Type: 'Pass', Result: 'acquired', ResultPath: '$.result', End: true },
        Held: { Type: 'Pass', Result: 'held', ResultPath: '$.result', End: true },
      },
    });
    const first = await execute(arn, { lockId: 'repo#network#prod' }, 'first-owner');
    expect(JSON.parse(first.output!).result).toBe('acquired');
    const item = await dynamo.client.send(
      new GetItemCommand({ TableName: 'locks', Key: { pk: { S: 'repo#network#prod' } } }),
    );
    expect(item.Item).toEqual({ pk: { S: 'repo#network#prod' }, owner: { S: 'first-owner' } });

    const second = await execute(arn, { lockId: 'repo#network#prod' }, 'second-owner');
    const output = JSON.parse(second.output!) as { result: string; error: { Error: string; Cause: string } };
    expect(output.result).toBe('held');
    expect(output.error.Error).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(output.error.Cause).toContain('Error Code: ConditionalCheckFailedException');
    expect(second.history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      resourceType: 'dynamodb',
      resource: 'putItem',
      error: 'DynamoDB.ConditionalCheckFailedException',
    });
  });

  it('StartExecution is idempotent for the same name and input while running', async () => {
    const arn = machine('approval', approval);
    const first = sfn.startExecution({ stateMachineArn: arn, name: 'delivery-1', input: '{"target":"prod"}' });
    const token = await waitForApprovalRequest(approvals.length + 1);
    expect(sfn.startExecution({ stateMachineArn: arn, name: 'delivery-1', input: '{"target":"prod"}' })).toEqual(first);
    expect(() => sfn.startExecution({ stateMachineArn: arn, name: 'delivery-1', input: '{"target":"dev"}' })).toThrow(
      expect.objectContaining({ code: 'ExecutionAlreadyExists' }),
    );
    sfn.sendTaskSuccess({ taskToken: token, output: '{}' });
    await sfn.waitForExecution(first.executionArn!);
    expect(() => sfn.startExecution({ stateMachineArn: arn, name: 'delivery-1', input: '{"target":"prod"}' })).toThrow(
      expect.objectContaining({ code: 'ExecutionAlreadyExists' }),
    );
    expect(first.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:approval:delivery-1');
    const listed = sfn.listExecutions({ stateMachineArn: arn }).executions!;
    expect(listed.map((execution) => execution.name)).toContain('delivery-1');
    expect(sfn.listExecutions({ stateMachineArn: arn, statusFilter: 'RUNNING' }).executions).toEqual([]);
  });

  it('StopExecution aborts: status ABORTED, the waiting token is dead and a running build is stopped', async () => {
    const waiting = machine('approval', approval);
    const { executionArn } = sfn.startExecution({ stateMachineArn: waiting, input: '{"target":"prod"}' });
    const token = await waitForApprovalRequest(approvals.length + 1);
    sfn.stopExecution({ executionArn: executionArn!, error: 'Superseded', cause: 'a newer push' });
    expect(sfn.describeExecution(executionArn!)).toMatchObject({
      status: 'ABORTED',
      error: 'Superseded',
      cause: 'a newer push',
    });
    await sfn.waitForExecution(executionArn!);
    const history = sfn.getExecutionHistory({ executionArn: executionArn!, reverseOrder: true, maxResults: 1 });
    expect(history.events?.[0]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Superseded', cause: 'a newer push' },
    });
    expect(history.nextToken).toBeDefined();
    expect(() => sfn.sendTaskSuccess({ taskToken: token, output: '{}' })).toThrow(
      expect.objectContaining({ code: 'TaskTimedOut' }),
    );

    const building = machine('plan', planDefinition);
    const build = sfn.startExecution({
      stateMachineArn: building,
      input: JSON.stringify({
        repo,
        sha,
        target: 'x',
        buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo started, sleep 300]\n',
      }),
    });
    let buildId = '';
    await eventually(() => {
      const submitted = sfn
        .getExecutionHistory({ executionArn: build.executionArn! })
        .events!.find((event) => event.type === 'TaskSubmitted');
      buildId = submitted
        ? (JSON.parse(submitted.taskSubmittedEventDetails!.output!) as { Build: { Id: string } }).Build.Id
        : '';
      return buildId !== '' && codebuild.getLogs(buildId).split('\n').includes('started');
    }, 'the plan build runs');
    sfn.stopExecution({ executionArn: build.executionArn! });
    await sfn.waitForExecution(build.executionArn!);
    expect((await codebuild.waitForBuild(buildId)).buildStatus).toBe('STOPPED');
  });

  it('rejects definitions it cannot run, naming the state and the resource', () => {
    expect(() =>
      sfn.createStateMachine('sqs', {
        StartAt: 'Send',
        States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'InvalidDefinition',
        message: expect.stringMatching(/Send.*arn:aws:states:::sqs:sendMessage/),
      }),
    );
    expect(() => sfn.createStateMachine('broken', { StartAt: 'Nowhere', States: {} })).toThrow(
      expect.objectContaining({ code: 'InvalidDefinition' }),
    );
    expect(() =>
      sfn.createStateMachine('choice-and-map', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
    ).toThrow(expect.objectContaining({ code: 'StateMachineAlreadyExists' }));
  });
});
