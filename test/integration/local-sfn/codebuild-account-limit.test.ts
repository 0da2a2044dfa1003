import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeBuildClient, CodeBuildServiceException } from '@aws-sdk/client-codebuild';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import type { CodeBuildApi } from '../../../local/codebuild/codebuild-api.ts';
import { createLocalCodeBuild, type LocalCodeBuild } from '../../../local/codebuild/create-local-codebuild.ts';
import { startCodeBuild, type LocalCodeBuildServer } from '../../../local/codebuild/start-codebuild.ts';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
} from '../../../local/stepfunctions/create-local-step-functions.ts';
import { eventually } from '../local-codebuild/fixtures.ts';

// A codebuild:startBuild.sync task whose StartBuild CodeBuild refuses fails with the error name Step
// Functions gives it, `CodeBuild.<exception>` (CodeBuild.AccountLimitExceededException for a full build
// queue), so that a Retry on that name waits for the queue to drain instead of failing the target.
// Builds wait on gate files the test creates: what runs and what is refused is decided here, not by timing.

let root: string;
let gates: string;
const stops: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-sfn-codebuild-limit-'));
  gates = join(root, 'gates');
  mkdirSync(gates);
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  rmSync(root, { recursive: true, force: true });
});

function gated(name: string): string {
  return [
    'version: 0.2',
    'phases:',
    '  build:',
    '    commands:',
    `      - echo ${name} >> ${join(root, 'ran.txt')}`,
    `      - while [ ! -f ${join(gates, name)} ]; do sleep 0.02; done`,
  ].join('\n');
}
const open = (name: string) => writeFileSync(join(gates, name), '');
const ran = () => {
  const file = join(root, 'ran.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
};

/** A Plan-like task; `retry` and `catchers` as the state machine gives them. */
function planMachine(options: { retry?: object[]; catchers?: object[] }) {
  return {
    StartAt: 'Plan',
    States: {
      Plan: {
        Type: 'Task',
        Resource: 'arn:aws:states:::codebuild:startBuild.sync',
        Parameters: { ProjectName: 'plan', 'BuildspecOverride.$': '$.buildspec' },
        ResultSelector: { 'status.$': '$.Build.BuildStatus' },
        ResultPath: '$.plan',
        ...(options.retry ? { Retry: options.retry } : {}),
        ...(options.catchers ? { Catch: options.catchers } : {}),
        End: true,
      },
      Refused: { Type: 'Pass', End: true },
      Other: { Type: 'Pass', End: true },
    },
  };
}

const catchers = [
  { ErrorEquals: ['CodeBuild.AccountLimitExceededException'], ResultPath: '$.error', Next: 'Refused' },
  { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Other' },
];

function stepFunctions(codebuild: CodeBuildApi | CodeBuildClient, events: HistoryEvent[] = []): LocalStepFunctions {
  const sfn = createLocalStepFunctions({
    codebuild,
    // Retry intervals × 0.02: a 1 s IntervalSeconds waits 20 ms.
    timeScale: 0.02,
    syncPollIntervalMs: 20,
    onEvent: (event) => events.push(event),
  });
  stops.push(() => sfn.close());
  return sfn;
}

async function execute(sfn: LocalStepFunctions, arn: string, input: unknown) {
  const { executionArn } = sfn.startExecution({ stateMachineArn: arn, input: JSON.stringify(input) });
  const result = await sfn.waitForExecution(executionArn!, { timeoutMs: 30_000 });
  const history = sfn.getExecutionHistory({ executionArn: executionArn!, maxResults: 1000 }).events!;
  return { ...result, history };
}

function localCodeBuild(queueLimit: number): LocalCodeBuild {
  const codebuild = createLocalCodeBuild({
    projects: { plan: {} },
    workRoot: join(root, 'work'),
    concurrency: 1,
    queueLimit,
  });
  stops.push(() => codebuild.close());
  return codebuild;
}

describe('codebuild:startBuild.sync and a full CodeBuild queue', { timeout: 90_000 }, () => {
  it('fails the task with CodeBuild.AccountLimitExceededException, which a Catch on that name takes', async () => {
    const codebuild = localCodeBuild(0);
    const sfn = stepFunctions(codebuild);
    const arn = sfn.createStateMachine('plan', planMachine({ catchers })).stateMachineArn!;
    // The only slot is taken, and nothing may queue.
    await codebuild.startBuild({ projectName: 'plan', buildspecOverride: gated('held') });

    const refused = await execute(sfn, arn, { buildspec: gated('refused') });
    expect(refused.status).toBe('SUCCEEDED');
    const error = (JSON.parse(refused.output!) as { error: { Error: string; Cause: string } }).error;
    expect(error.Error).toBe('CodeBuild.AccountLimitExceededException');
    expect(error.Cause).toMatch(
      /^Cannot have more than 0 builds in queue for the account \(Service: AWSCodeBuild; Status Code: 400; Error Code: AccountLimitExceededException; Request ID: [\w-]+; Proxy: null\)$/,
    );
    expect(refused.history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      resourceType: 'codebuild',
      resource: 'startBuild.sync',
      error: 'CodeBuild.AccountLimitExceededException',
    });
    // Refused before it existed: no build ran for it.
    expect((await codebuild.listBuildsForProject({ projectName: 'plan' })).ids).toHaveLength(1);
    open('held');
  });

  it('through the AWS SDK too: a Retry on the name waits until the queue has room, then the build runs', async () => {
    const credentials = createLocalCredentials();
    const server: LocalCodeBuildServer = await startCodeBuild({
      projects: { plan: {} },
      workRoot: join(root, 'work'),
      credentials,
      concurrency: 1,
      queueLimit: 0,
    });
    stops.push(() => server.stop());
    const client = new CodeBuildClient({ endpoint: server.url, region: 'us-east-1', credentials });
    stops.push(() => client.destroy());
    const events: HistoryEvent[] = [];
    const sfn = stepFunctions(client, events);
    const retry = [
      {
        ErrorEquals: ['CodeBuild.AccountLimitExceededException'],
        IntervalSeconds: 1,
        BackoffRate: 1,
        MaxAttempts: 1000,
      },
    ];
    const arn = sfn.createStateMachine('plan', planMachine({ retry, catchers })).stateMachineArn!;
    await server.codebuild.startBuild({ projectName: 'plan', buildspecOverride: gated('held') });
    await eventually(() => ran().includes('held'), 'the first build runs', 30_000);

    const waiting = execute(sfn, arn, { buildspec: gated('retried') });
    // Room frees only once a StartBuild has been refused: the retry is what gets the build in.
    await eventually(
      () => events.some((event) => event.taskFailedEventDetails?.error === 'CodeBuild.AccountLimitExceededException'),
      'a StartBuild is refused',
      30_000,
    );
    open('held');
    await eventually(() => ran().includes('retried'), 'the retried build runs', 30_000);
    open('retried');
    const done = await waiting;
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toMatchObject({ plan: { status: 'SUCCEEDED' } });
    const failures = done.history.filter((event) => event.type === 'TaskFailed');
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures)
      expect(failure.taskFailedEventDetails?.error).toBe('CodeBuild.AccountLimitExceededException');
    expect(done.history.filter((event) => event.type === 'TaskSucceeded')).toHaveLength(1);
  });
});

describe('codebuild:startBuild errors CodeBuild does not model', () => {
  /** A CodeBuild whose StartBuild always fails with `error`. */
  const failing = (error: Error): CodeBuildApi => ({
    startBuild: () => Promise.reject(error),
    batchGetBuilds: () => Promise.reject(new Error('not called')),
    stopBuild: () => Promise.reject(new Error('not called')),
  });

  it('names throttling CodeBuild.AWSCodeBuildException, the service base class', async () => {
    const throttled = new CodeBuildServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    });
    const sfn = stepFunctions(failing(throttled));
    const arn = sfn.createStateMachine('plan', planMachine({ catchers })).stateMachineArn!;
    const result = await execute(sfn, arn, { buildspec: 'version: 0.2\nphases: {}\n' });
    const error = (JSON.parse(result.output!) as { error: { Error: string; Cause: string } }).error;
    expect(error).toEqual({
      Error: 'CodeBuild.AWSCodeBuildException',
      Cause:
        'Rate exceeded (Service: AWSCodeBuild; Status Code: 400; Error Code: ThrottlingException; Request ID: req-1; Proxy: null)',
    });
  });

  it('names a call that never reached CodeBuild CodeBuild.SdkClientException', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const sfn = stepFunctions(failing(refused));
    const arn = sfn.createStateMachine('plan', planMachine({ catchers })).stateMachineArn!;
    const result = await execute(sfn, arn, { buildspec: 'version: 0.2\nphases: {}\n' });
    const error = (JSON.parse(result.output!) as { error: { Error: string; Cause: string } }).error;
    expect(error).toEqual({ Error: 'CodeBuild.SdkClientException', Cause: 'connect ECONNREFUSED 127.0.0.1:1' });
  });
});
