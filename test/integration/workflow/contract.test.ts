import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveRecorded } from '../../helpers/approve-recorded.ts';
import * as z from 'zod';
import {
  AcquireLockInput,
  WaitForLockInput,
  ApplyBuildResult,
  ApprovalResult,
  CaughtError,
  LockResult,
  NotifyInput,
  NotifyOutput,
  PlanBuildResult,
  PlannedTarget,
  RecordInput,
  ReleaseLockInput,
  ReleaseLockOutput,
  PrepareApplyInput,
  PreparedApply,
  RequestApprovalInput,
  RequestApprovalOutput,
  RunOutcome,
  RunRequest,
  SummarizeInput,
  TargetFailedInput,
  TargetFailedOutput,
  TargetStep,
  StagedRun,
  WaveItem,
  ChunkItem,
  TargetsInput,
  LoadedTargets,
} from '../../../functions/lib/workflow/contract.ts';
import { pullRequestPayload } from '../../../local/git/pull-request-payload.ts';
import { sendWebhook } from '../../../local/git/send-webhook.ts';
import { startHarness, terraformConfig, type FinishedRun, type Harness } from '../../helpers/stack-harness.ts';

// The contract between the states (functions/lib/workflow/contract.ts) against what really flows: runs
// of state-machines/deploy.asl.yml and of its child executions (targets.asl.yml, one per chunk of
// targets; the harness merges their histories into the run's) on the local stack, whose history records every state's input and
// output and every Lambda's input, as the console shows them. Each value goes through the schema of
// the state that reads it, strictly: a field the schema does not declare would be dropped by the
// handler's parse, so it fails here with its path.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

const tf = (text = 'a') => ({ 'infra/network/main.tf': `resource "null_resource" "${text}" {}\n` });

// --- What each state's data is, in terms of the contract ---------------------------------------------

/** The execution's data outside the Maps: Validate's output or, when Validate failed, the input; then Record's outcome. */
const ended = {
  error: CaughtError.optional(),
  outcome: RunOutcome.optional(),
  /** Notify's Catch: a notification failure is kept beside the outcome. */
  notifyError: CaughtError.optional(),
};
const RunData = z.union([StagedRun.extend(ended), RunRequest.extend({ ...ended, error: CaughtError })]);

/** The data of a Targets iteration at any state: what TargetFailed (and, without the error, ReleaseLock) reads whole. */
const IterationData = TargetFailedInput;

/** The schema of the data a state is entered with. */
const STATE_INPUT: Record<string, z.ZodType> = {
  Validate: RunRequest,
  Route: StagedRun,
  Waves: StagedRun,
  Chunks: WaveItem,
  RunTargets: ChunkItem,
  LoadTargets: TargetsInput,
  // The run's own Targets Map (one small wave) or a child execution's.
  Targets: z.union([StagedRun, LoadedTargets]),
  AcquireLock: TargetStep,
  LockTaken: IterationData,
  Plan: IterationData,
  Summarize: IterationData,
  AfterPlan: IterationData,
  WaitForApproval: IterationData,
  PrepareApply: IterationData,
  Apply: IterationData,
  ReleaseLock: ReleaseLockInput,
  TargetFailed: TargetFailedInput,
  Record: StagedRun,
  RecordFailure: RunData,
  Notify: RunData,
  Outcome: RunData,
  Done: RunData,
  Failed: RunData,
};

/** Whether a state's output is the data left by its Catch (`$.error`) instead of its result. */
const caught = (output: unknown) => typeof output === 'object' && output !== null && 'error' in output;

/** The schema of the data a state exits with, and of its own result in it. */
const STATE_OUTPUT: Record<string, (output: unknown) => { data: z.ZodType; result?: [string, z.ZodType] }> = {
  Validate: (output) => (caught(output) ? { data: RunData } : { data: StagedRun, result: ['$', StagedRun] }),
  Waves: () => ({ data: RunData }),
  Chunks: () => ({ data: WaveItem }),
  // ResultPath null: the child's result is not kept.
  RunTargets: () => ({ data: ChunkItem }),
  LoadTargets: () => ({ data: LoadedTargets, result: ['$', LoadedTargets] }),
  Route: () => ({ data: StagedRun }),
  // In a child execution, OutputPath $.chunk: it ends with its chunk's reference; in the run's own
  // execution, ResultPath null: the run's data.
  Targets: (output) =>
    typeof output === 'object' && output !== null && 'key' in output
      ? { data: ChunkItem.shape.chunk }
      : { data: RunData },
  AcquireLock: () => ({ data: IterationData, result: ['lock', LockResult] }),
  LockTaken: () => ({ data: IterationData }),
  Plan: () => ({ data: IterationData, result: ['planBuild', PlanBuildResult] }),
  Summarize: () => ({ data: IterationData, result: ['planned', PlannedTarget] }),
  AfterPlan: () => ({ data: IterationData }),
  WaitForApproval: () => ({ data: IterationData, result: ['approval', ApprovalResult] }),
  PrepareApply: () => ({ data: IterationData, result: ['prepared', PreparedApply] }),
  Apply: () => ({ data: IterationData, result: ['applyBuild', ApplyBuildResult] }),
  // OutputPath $.finished: the iteration ends with ReleaseLock's result.
  ReleaseLock: (output) =>
    caught(output) ? { data: IterationData } : { data: ReleaseLockOutput, result: ['$', ReleaseLockOutput] },
  TargetFailed: () => ({ data: TargetFailedOutput, result: ['$', TargetFailedOutput] }),
  Record: () => ({ data: RunData, result: ['outcome', RunOutcome] }),
  RecordFailure: () => ({ data: RunData, result: ['outcome', RunOutcome] }),
  Notify: () => ({ data: RunData }),
  Outcome: () => ({ data: RunData }),
};

/** The schema of what each Lambda is invoked with (after the state's Parameters), by function. */
function lambdaInput(functionName: string): [string, z.ZodType] {
  switch (functionName) {
    case 'validate':
      return ['Validate', RunRequest];
    case 'loadTargets':
      return ['LoadTargets', TargetsInput];
    case 'acquireLock':
      return ['AcquireLock', AcquireLockInput];
    case 'prepareApply':
      return ['PrepareApply', PrepareApplyInput];
    case 'summarize':
      return ['Summarize', SummarizeInput];
    case 'requestApproval':
      return ['WaitForApproval', RequestApprovalInput];
    case 'releaseLock':
      return ['ReleaseLock', ReleaseLockInput];
    case 'targetFailed':
      return ['TargetFailed', TargetFailedInput];
    case 'record':
      return ['Record', RecordInput];
    case 'notify':
      return ['Notify', NotifyInput];
    default:
      throw new Error(`a Lambda the contract does not know: ${functionName}`);
  }
}

// --- Checking a history ------------------------------------------------------------------------------

/** Every check made, as `<state> <what>`, so that the test can tell which parts of the contract the runs reached. */
const checked = new Set<string>();

/** Paths present in `raw` and missing (or different) in what the schema made of it. */
function differences(raw: unknown, parsed: unknown, path = '$'): string[] {
  if (typeof raw !== 'object' || raw === null)
    return Object.is(raw, parsed) ? [] : [`${path} became ${String(parsed)}`];
  if (typeof parsed !== 'object' || parsed === null) return [`${path} was dropped`];
  if (Array.isArray(raw))
    return raw.flatMap((item, index) => differences(item, (parsed as unknown[])[index], `${path}[${index}]`));
  return Object.entries(raw).flatMap(([key, value]) =>
    key in parsed
      ? differences(value, (parsed as Record<string, unknown>)[key], `${path}.${key}`)
      : [`${path}.${key} is not declared, so the state that reads it drops it`],
  );
}

/** Problems of `value` under `schema`: what it refuses, and every field it would drop. */
function problems(schema: z.ZodType, value: unknown): string[] {
  const parsed = schema.safeParse(value);
  if (!parsed.success) return [z.prettifyError(parsed.error)];
  return differences(value, parsed.data);
}

function json(text: string | undefined): unknown {
  return JSON.parse(text ?? 'null') as unknown;
}

/** Every recorded input and output of a run's history against the contract; the problems found, by where. */
function checkHistory(history: HistoryEvent[]): string[] {
  const found: string[] = [];
  const check = (where: string, schema: z.ZodType, value: unknown) => {
    checked.add(where);
    for (const problem of problems(schema, value)) found.push(`${where}: ${problem}`);
  };
  history.forEach((event, index) => {
    const started = event.executionStartedEventDetails;
    if (started) {
      const input = json(started.input);
      // A child execution (RunTargets) starts with a chunk's reference.
      if (typeof input === 'object' && input !== null && 'chunk' in input)
        check('child execution input', TargetsInput, input);
      else check('execution input', RunRequest, input);
    }

    const entered = event.stateEnteredEventDetails;
    if (entered?.name) {
      const schema = STATE_INPUT[entered.name];
      if (!schema) found.push(`${entered.name}: a state the contract test does not know`);
      else check(`${entered.name} input`, schema, json(entered.input));
    }

    const exited = event.stateExitedEventDetails;
    if (exited?.name && STATE_OUTPUT[exited.name]) {
      const output = json(exited.output);
      const { data, result } = STATE_OUTPUT[exited.name]!(output);
      check(`${exited.name} output`, data, output);
      if (result) {
        const [field, schema] = result;
        const value = field === '$' ? output : (output as Record<string, unknown>)[field];
        if (value !== undefined) check(`${exited.name} result`, schema, value);
      }
    }

    const scheduled = event.lambdaFunctionScheduledEventDetails;
    if (scheduled) {
      const functionName = scheduled.resource!.split(':function:')[1]!.replace(/^pushgate-local-/, '');
      const input = json(scheduled.input);
      const [state, schema] = lambdaInput(functionName);
      check(`${state} Lambda input`, schema, input);
      // Notify's result is not kept in the data (ResultPath null); nothing else runs beside it.
      if (functionName === 'notify') {
        const done = history.slice(index + 1).find((later) => later.lambdaFunctionSucceededEventDetails);
        if (done) check('Notify result', NotifyOutput, json(done.lambdaFunctionSucceededEventDetails!.output));
      }
    }

    const task = event.taskScheduledEventDetails;
    if (task?.resourceType === 'lambda' && task.resource === 'invoke.waitForTaskToken') {
      const parameters = json(task.parameters) as { FunctionName: string; Payload: unknown };
      // WaitForLock (a run that waits for its lock: locks-handoff.test.ts) or WaitForApproval.
      if (parameters.FunctionName.endsWith('-waitForLock'))
        check('WaitForLock Lambda input', WaitForLockInput, parameters.Payload);
      else check('WaitForApproval Lambda input', RequestApprovalInput, parameters.Payload);
    }
    const submitted = event.taskSubmittedEventDetails;
    if (submitted?.resourceType === 'lambda' && submitted.resource === 'invoke.waitForTaskToken') {
      check(
        'WaitForApproval Lambda result',
        RequestApprovalOutput,
        (json(submitted.output) as { Payload: unknown }).Payload,
      );
    }
  });
  return found;
}

function expectContract(run: FinishedRun): void {
  expect(run.history.length).toBeGreaterThan(0);
  expect(checkHistory(run.history)).toEqual([]);
}

async function waitForApproval(runId: string, project: string, environment: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const target = await h.store.getTarget(runId, project, environment);
    if (target?.status === 'awaiting_approval' && target.approvalTaskToken) return target;
    if (Date.now() > deadline) throw new Error(`target never waited for approval: ${JSON.stringify(target)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the workflow contract, state by state, on the local stack', () => {
  it('a push deploying staging, then prod after it', async () => {
    const repo = await h.repository('contract-ordered', {
      'pushgate.yml': terraformConfig({ environments: { staging: {}, prod: { after: 'staging' } } }),
      ...tf(),
    });
    const run = await repo.deploy({}, 'first');
    expect(run.run.status).toBe('succeeded');
    expect(run.states).toEqual(expect.arrayContaining(['AcquireLock', 'Apply', 'ReleaseLock', 'Record', 'Notify']));
    expectContract(run);
  });

  it('a run whose plan has no changes', async () => {
    const config = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_PLAN: 'no_changes' } } } });
    const repo = await h.repository('contract-nochange', { 'pushgate.yml': config, ...tf() });
    const run = await repo.deploy({}, 'first');
    expect(run.run.status).toBe('no_changes');
    expectContract(run);
  });

  it('a pull request, planned only, and the skipped push of its branch', async () => {
    const repo = await h.repository('contract-pullrequest', {
      'pushgate.yml': terraformConfig({ environments: { staging: {}, prod: { after: 'staging' } } }),
      ...tf(),
    });
    await repo.deploy({}, 'first');
    const base = await repo.repo.sha();
    const branch = await repo.push(tf('b'), 'change', 'feature/x');
    const skipped = await repo.finished(branch.runIds[0]!);
    expect(skipped.run.status).toBe('skipped');
    expectContract(skipped);

    const answer = await sendWebhook({
      url: h.stack.webhookUrl,
      secret: h.stack.secret,
      event: 'pull_request',
      payload: pullRequestPayload({
        repo: repo.fullName,
        headRef: 'feature/x',
        headSha: branch.sha,
        baseRef: 'main',
        baseSha: base,
      }),
    });
    expect(answer.status).toBe(202);
    const run = await repo.finished((answer.body as { runId: string }).runId);
    expect(run.targets.map((target) => target.status)).toEqual(['planned', 'planned']);
    expectContract(run);
  });

  it('an approval: WaitForApproval, then PrepareApply and Apply', async () => {
    const config = terraformConfig({
      environments: { staging: { approval: { required: true, approvers: ['octocat'] } } },
    });
    const repo = await h.repository('contract-approval', { 'pushgate.yml': config, ...tf() });
    const { runIds } = await repo.push({}, 'first');
    const target = await waitForApproval(runIds[0]!, 'network', 'staging');
    await approveRecorded(h, target);
    const run = await repo.finished(runIds[0]!);
    expect(run.states).toEqual(expect.arrayContaining(['WaitForApproval', 'PrepareApply', 'Apply']));
    expect(run.run.status).toBe('succeeded');
    expectContract(run);
  });

  it('failures: a failed apply and the target after it (TargetFailed), an invalid pushgate.yml (RecordFailure)', async () => {
    const failing = await h.repository('contract-applyfail', {
      'pushgate.yml': terraformConfig({
        environments: { staging: { variables: { FAKE_TERRAFORM_FAIL: 'apply' } }, prod: { after: 'staging' } },
      }),
      ...tf(),
    });
    const failed = await failing.deploy({}, 'first');
    expect(failed.run.status).toBe('failed');
    expect(failed.states).toContain('TargetFailed');
    expectContract(failed);

    const invalid = await h.repository('contract-badconfig', { 'pushgate.yml': 'version: 1\n' });
    const refused = await invalid.deploy({}, 'broken');
    expect(refused.states).toContain('RecordFailure');
    expectContract(refused);
  });

  it('reached every state, every Lambda input and every result of the contract', () => {
    const expected = [
      'execution input',
      'child execution input',
      ...Object.keys(STATE_INPUT).map((state) => `${state} input`),
      ...Object.keys(STATE_OUTPUT).map((state) => `${state} output`),
      ...['Validate', 'LoadTargets', 'AcquireLock', 'PrepareApply', 'Summarize', 'WaitForApproval', 'ReleaseLock']
        .concat(['TargetFailed'])
        .concat(['Record', 'Notify'])
        .map((state) => `${state} Lambda input`),
      ...['Validate', 'LoadTargets', 'AcquireLock', 'Plan', 'Summarize', 'WaitForApproval', 'PrepareApply', 'Apply']
        .concat(['ReleaseLock', 'TargetFailed', 'Record', 'RecordFailure', 'Notify'])
        .map((state) => `${state} result`),
      'WaitForApproval Lambda result',
    ];
    expect([...checked].sort()).toEqual(expect.arrayContaining(expected.sort()));
  });
});
