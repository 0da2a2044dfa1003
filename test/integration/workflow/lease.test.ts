import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, terraformConfig, type Harness } from '../../helpers/stack-harness.ts';

// Leases through the local stack (issue 8): a lock's lease never runs out under a running apply, and a
// release that finds its lock taken over says so instead of recording success.

const tf = (text = 'a') => ({ 'infra/network/main.tf': `resource "null_resource" "${text}" {}\n` });

describe('trust: a lock is never held by two runs at once', () => {
  let slowStack: Harness;

  /** Waits until the run's execution has entered the Apply state (its apply build is running). */
  async function applying(runId: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const arn = (await slowStack.store.getRun(runId))?.executionArn;
      const events = arn ? await slowStack.runHistory(arn) : [];
      if (events.some((e) => e.stateEnteredEventDetails?.name === 'Apply')) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`run ${runId} never started applying`);
  }
  beforeAll(async () => {
    // A lease of 2 s: without a renewal that covers the apply, a second run takes the lock over mid-apply.
    slowStack = await startHarness({ leaseSeconds: 2 });
  });
  afterAll(async () => slowStack?.stop());

  it('the lease is renewed before Apply for as long as the apply may take: a second run waits for it', async () => {
    const slow = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_SLEEP: '5' } } } });
    const repo = await slowStack.repository('lease', { 'pushgate.yml': slow, ...tf() });
    const a = await repo.push({}, 'a');
    const runA = a.runIds[0]!;
    // Wait until A applies, then until its first lease (2 s from AcquireLock) has certainly run out.
    await applying(runA);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const b = await repo.push(tf('b'), 'b');
    const [ra, rb] = await Promise.all([repo.finished(runA), repo.finished(b.runIds[0]!)]);

    expect(ra.targets[0]!.status).toBe('succeeded');
    expect(rb.targets[0]!.status).toBe('succeeded');
    const applyWindow = (r: typeof ra) => ({
      entered: r.history.find((e) => e.stateEnteredEventDetails?.name === 'Apply')!.timestamp!.getTime(),
      exited: r.history.find((e) => e.stateExitedEventDetails?.name === 'Apply')!.timestamp!.getTime(),
    });
    // B's apply starts only after A's ended: never two applies of one target at once.
    expect(applyWindow(rb).entered).toBeGreaterThanOrEqual(applyWindow(ra).exited);
    expect(await slowStack.store.getCurrent('local/lease', 'staging')).toMatchObject([{ sha: rb.run.sha }]);
  });

  it('a release that finds its lock taken over records conflict with the reason, and the run fails', async () => {
    const slow = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_SLEEP: '2' } } } });
    const repo = await slowStack.repository('conflict', { 'pushgate.yml': slow, ...tf() });
    const a = await repo.push({}, 'a');
    const runA = a.runIds[0]!;
    await applying(runA);
    // Someone else (an operator's unlock, a takeover after a lost lease) holds the lock when A releases.
    const key = { repo: 'local/conflict', project: 'network', environment: 'staging' };
    await slowStack.store.releaseLock(key, runA);
    await slowStack.store.acquireLock(key, 'intruder', { leaseSeconds: 600, position: `9#intruder`, mode: 'queue' });
    const result = await repo.finished(runA);
    expect(result.targets[0]).toMatchObject({ status: 'conflict', reason: expect.stringMatching(/intruder/) });
    expect(result.run.status).toBe('failed');
    expect(await slowStack.store.getLock(key)).toMatchObject({ owner: 'intruder' });
  });
});
