import { fileURLToPath } from 'node:url';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../../functions/lib/workflow/contract.ts';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
} from '../../../local/stepfunctions/create-local-step-functions.ts';
import { LocalStepFunctionsError } from '../../../local/stepfunctions/errors.ts';
import { loadDefinition } from '../../../local/stepfunctions/load-definition.ts';
import { HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES } from '../../../local/stepfunctions/service-limits.ts';

// The local Step Functions enforces AWS's quotas where the data passes, failing as AWS does:
// 256 KiB (UTF-8) per execution input, task result, state input and state output, and 25,000
// history events. The state machines here are test-only ASL; the last test runs deploy.asl.yml.

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
/** A string of `bytes` UTF-8 bytes made of 2-byte characters: sizes count bytes, not characters. */
const wide = (bytes: number) => 'é'.repeat(bytes / 2);

let sfn: LocalStepFunctions | undefined;
const invoked: string[] = [];

afterEach(async () => {
  await sfn?.close();
  sfn = undefined;
  invoked.length = 0;
});

function create(handlers: Record<string, (payload: unknown) => unknown> = {}): LocalStepFunctions {
  sfn = createLocalStepFunctions({
    fastRetries: true,
    invokeLambda: async (name, payload) => {
      invoked.push(name);
      const handler = handlers[name];
      if (!handler) throw new Error(`no handler ${name}`);
      return handler(payload);
    },
  });
  return sfn;
}

async function execute(definition: object, input: unknown = {}) {
  const { stateMachineArn } = sfn!.createStateMachine(`limits-${invoked.length}-${Date.now()}`, definition);
  const { executionArn } = sfn!.startExecution({ stateMachineArn: stateMachineArn!, input: JSON.stringify(input) });
  const result = await sfn!.waitForExecution(executionArn!, { timeoutMs: 60_000 });
  const history: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = sfn!.getExecutionHistory({ executionArn: executionArn!, maxResults: 1000, nextToken });
    history.push(...page.events!);
    nextToken = page.nextToken;
  } while (nextToken);
  return { ...result, history, types: history.map((event) => event.type) };
}

const OUTPUT_CAUSE = (name: string) =>
  `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`;

describe('payload quota (256 KiB)', () => {
  it('refuses an execution input over 262,144 UTF-8 bytes at StartExecution, and takes one at the limit', async () => {
    create();
    const { stateMachineArn } = sfn!.createStateMachine('input', {
      StartAt: 'Done',
      States: { Done: { Type: 'Succeed' } },
    });
    // {"a":"…"} is 8 bytes of JSON around the string.
    const atLimit = JSON.stringify({ a: wide(PAYLOAD_LIMIT_BYTES - 8) });
    expect(Buffer.byteLength(atLimit)).toBe(PAYLOAD_LIMIT_BYTES);
    const overLimit = JSON.stringify({ a: wide(PAYLOAD_LIMIT_BYTES - 6) });
    // Fewer characters than the limit, more bytes: the quota counts bytes.
    expect(overLimit.length).toBeLessThan(PAYLOAD_LIMIT_BYTES);

    let refused: unknown;
    try {
      sfn!.startExecution({ stateMachineArn: stateMachineArn!, input: overLimit });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(LocalStepFunctionsError);
    expect(refused).toMatchObject({ code: 'ValidationException', message: expect.stringContaining("'input'") });
    expect(sfn!.listExecutions({ stateMachineArn: stateMachineArn! }).executions).toEqual([]);

    const { executionArn } = sfn!.startExecution({ stateMachineArn: stateMachineArn!, input: atLimit });
    expect((await sfn!.waitForExecution(executionArn!)).status).toBe('SUCCEEDED');
  });

  it('a Lambda task returning more than 256 KiB fails with States.DataLimitExceeded', async () => {
    create({ big: () => ({ blob: wide(PAYLOAD_LIMIT_BYTES) }) });
    const execution = await execute({
      StartAt: 'Big',
      States: { Big: { Type: 'Task', Resource: fn('big'), End: true } },
    });
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: OUTPUT_CAUSE(fn('big')),
    });
    expect(execution.types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'ExecutionFailed',
    ]);
    expect(execution.history.at(-1)!.executionFailedEventDetails).toEqual({
      error: 'States.DataLimitExceeded',
      cause: OUTPUT_CAUSE(fn('big')),
    });
  });

  it("a task's own result over the quota is the task's failure: a Catch takes it, as on AWS", async () => {
    create({ big: () => ({ blob: wide(PAYLOAD_LIMIT_BYTES) }) });
    const execution = await execute({
      StartAt: 'Big',
      States: {
        Big: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('big'), Payload: {} },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({ Error: 'States.DataLimitExceeded', Cause: OUTPUT_CAUSE('lambda') });
    expect(execution.history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      error: 'States.DataLimitExceeded',
      resourceType: 'lambda',
    });
  });

  it('a state output over the quota (ResultPath) fails the execution past its Catch', async () => {
    // Each half is under the quota; the state's output, input and result together, is over it.
    const half = wide(PAYLOAD_LIMIT_BYTES / 2);
    create({ half: () => ({ half }) });
    const execution = await execute(
      {
        StartAt: 'Merge',
        States: {
          Merge: {
            Type: 'Task',
            Resource: fn('half'),
            ResultPath: '$.result',
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            Next: 'After',
          },
          After: { Type: 'Pass', End: true },
          Handled: { Type: 'Pass', End: true },
        },
      },
      { half },
    );
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: OUTPUT_CAUSE('Merge'),
    });
    // The task succeeded; the state never exits, and nothing runs after it.
    expect(execution.types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'ExecutionFailed',
    ]);
  });

  it('a Pass state whose Result is over the quota fails the execution (the history AWS records)', async () => {
    create();
    const execution = await execute({
      StartAt: 'State_1',
      States: { State_1: { Type: 'Pass', Result: { Arg1: wide(257 * 1024) }, End: true } },
    });
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: OUTPUT_CAUSE('State_1'),
    });
    expect(execution.types).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);
    expect(execution).not.toHaveProperty('output');
  });

  it("a Map whose gathered output is over the quota fails, though each iteration's is under it", async () => {
    create({ part: () => ({ part: wide(100 * 1024) }) });
    const execution = await execute(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Part',
              States: { Part: { Type: 'Task', Resource: fn('part'), End: true } },
            },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      { items: [1, 2, 3] },
    );
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: OUTPUT_CAUSE('Each'),
    });
    expect(execution.types).not.toContain('MapStateExited');
    expect(execution.types.filter((type) => type === 'LambdaFunctionSucceeded')).toHaveLength(3);
  });

  it("a task's input over the quota after Parameters fails the execution before the task runs", async () => {
    create({ echo: (payload) => payload });
    const half = wide(PAYLOAD_LIMIT_BYTES / 2);
    const execution = await execute(
      {
        StartAt: 'Twice',
        States: {
          Twice: {
            Type: 'Task',
            Resource: fn('echo'),
            Parameters: { 'first.$': '$.half', 'second.$': '$.half' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      { half },
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(execution.cause).toContain("'Twice'");
    expect(invoked).toEqual([]);
    expect(execution.types).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionFailed']);
  });
});

describe('history quota (25,000 events)', () => {
  it('an execution that would record a 25,001st event fails with the 25,000th: ExecutionFailed, States.Runtime', async () => {
    create();
    // Four events (two states entered and exited) per turn, for ever.
    const execution = await execute({
      StartAt: 'Loop',
      States: {
        Loop: { Type: 'Pass', Next: 'Again' },
        Again: { Type: 'Choice', Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }], Default: 'Loop' },
        Done: { Type: 'Succeed' },
      },
    });
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'The execution reached the maximum number of history events (25000).',
    });
    expect(execution.history).toHaveLength(HISTORY_EVENT_LIMIT);
    expect(execution.history.at(-1)).toMatchObject({ id: HISTORY_EVENT_LIMIT, type: 'ExecutionFailed' });
    expect(execution.history.at(-2)!.type).toMatch(/^(Pass|Choice)State(Entered|Exited)$/);
  });

  it('an execution whose 25,000th event is ExecutionSucceeded succeeds', async () => {
    create();
    // ExecutionStarted, 4 events a turn (Count and More entered and exited), 2 for Done, then
    // ExecutionSucceeded: 6,249 turns make it the 25,000th event.
    const turns = (HISTORY_EVENT_LIMIT - 4) / 4;
    const execution = await execute(
      {
        StartAt: 'Count',
        States: {
          Count: {
            Type: 'Pass',
            Parameters: { 'left.$': 'States.MathAdd($.left, -1)' },
            Next: 'More',
          },
          More: {
            Type: 'Choice',
            Choices: [{ Variable: '$.left', NumericGreaterThan: 0, Next: 'Count' }],
            Default: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      { left: turns },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.history).toHaveLength(HISTORY_EVENT_LIMIT);
    expect(execution.history.at(-1)!.type).toBe('ExecutionSucceeded');
  });
});

describe('deploy.asl.yml', () => {
  it('a Validate result over the quota goes to RecordFailure, which records the run failed naming the limit', async () => {
    const definition = loadDefinition(
      fileURLToPath(new URL('../../../state-machines/deploy.asl.yml', import.meta.url)),
      {
        functionArn: (name) => fn(name),
        vars: {
          'self:custom.planProjectName': 'pushgate-test-plan',
          'self:custom.applyProjectName': 'pushgate-test-apply',
          'self:custom.lockRetryAttempts': '3',
        },
        refs: { TargetsStateMachine: 'arn:aws:states:us-east-1:000000000000:stateMachine:pushgate-test-targets' },
      },
    );
    const recorded: unknown[] = [];
    create({
      validate: () => ({ run: {}, settings: {}, waves: [], targetCount: 0, padding: wide(PAYLOAD_LIMIT_BYTES) }),
      record: (payload) => {
        recorded.push(payload);
        const { error } = payload as { error: { Error: string; Cause: string } };
        const outcome: RunOutcome = {
          runId: '01RUN',
          repo: 'acme/infra',
          kind: 'push',
          branch: 'main',
          sha: 'a'.repeat(40),
          actor: 'octocat',
          status: 'failed',
          targets: [],
        };
        return { ...outcome, error: error.Error, cause: error.Cause };
      },
      notify: () => ({ notifications: [] }),
    });
    const execution = await execute(definition, { runId: '01RUN' });
    expect(recorded).toEqual([
      {
        runId: '01RUN',
        executionArn: execution.executionArn,
        error: { Error: 'States.DataLimitExceeded', Cause: OUTPUT_CAUSE(fn('validate')) },
      },
    ]);
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: OUTPUT_CAUSE(fn('validate')),
    });
  });
});
