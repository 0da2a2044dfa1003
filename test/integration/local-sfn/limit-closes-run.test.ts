import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinal } from '../../../functions/lib/status.ts';
import type { RunRecord } from '../../../functions/lib/store/types.ts';
import { PAYLOAD_LIMIT_BYTES } from '../../../local/stepfunctions/service-limits.ts';
import { startHarness, type Harness } from '../../helpers/stack-harness.ts';

// An execution that fails on a quota fails past every Catch: no state runs after it, so Record never
// closes its run. On AWS the "Step Functions Execution Status Change" event (FAILED) reaches
// executionEnded, which does; here the local stack's EventBridge stand-in sends the same event. A
// test-only state machine stands for the deploy workflow: what is checked is the path from the
// local Step Functions' failure to the run record, whatever state reached the quota.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

async function finalRun(runId: string): Promise<RunRecord> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await h.store.getRun(runId);
    if (run && isFinal(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a quota reached by a run’s execution', () => {
  it('closes the run failed, with the quota as its reason, through executionEnded', async () => {
    const runId = '01LIMITRUN';
    await h.store.createRun({
      runId,
      repo: 'local/limits',
      kind: 'push',
      ref: 'refs/heads/main',
      branch: 'main',
      sha: 'b'.repeat(40),
      actor: 'octocat',
      deliveryId: `d-${runId}`,
      status: 'running',
    });
    const { stateMachineArn } = h.stack.stepfunctions.createStateMachine('limits-test', {
      StartAt: 'Grow',
      States: { Grow: { Type: 'Pass', Result: 'x'.repeat(PAYLOAD_LIMIT_BYTES), ResultPath: '$.blob', End: true } },
    });
    const { executionArn } = h.stack.stepfunctions.startExecution({
      stateMachineArn: stateMachineArn!,
      name: runId,
      input: JSON.stringify({ runId }),
    });
    const execution = await h.stack.stepfunctions.waitForExecution(executionArn!, { timeoutMs: 30_000 });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });

    const run = await finalRun(runId);
    expect(run.status).toBe('failed');
    expect(run.reason).toBe(
      "States.DataLimitExceeded: The state/task 'Grow' returned a result with a size exceeding the maximum number of bytes service limit.",
    );
    expect(run.executionArn).toBe(executionArn);
  });
});
