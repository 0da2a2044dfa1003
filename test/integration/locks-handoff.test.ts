import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepLocksResult } from '../../functions/lib/locks/sweep-locks.ts';
import type { HeldLockRecord } from '../../functions/lib/store/types.ts';
import { ANY_BRANCH_POLICY } from '../helpers/policy.ts';
import { startHarness, type FinishedRun, type Harness } from '../helpers/stack-harness.ts';

// The lock queue that hands the lock over (issue 12), through the real state machine on the local
// stack: a run that finds its target locked parks in WaitForLock on a task token, and the run that
// releases the lock resumes it. No LockHeldError is retried any more, so a waiting run's history does
// not grow with how long it waits. The lock sweep is invoked through the local Lambda endpoint, as
// the schedule invokes it on AWS.

let h: Harness;
let lambda: LambdaClient;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  h = await startHarness({ policy: ANY_BRANCH_POLICY });
  lambda = new LambdaClient({
    region: 'us-east-1',
    endpoint: h.stack.endpoints.lambda,
    credentials: h.stack.credentials,
  });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: h.stack.endpoints.dynamodb, credentials: h.stack.credentials }),
  );
});
afterAll(async () => {
  lambda?.destroy();
  documents?.destroy();
  await h?.stop();
});

/** A `command` project whose plan holds the lock a while and writes begin/end lines to a ledger. */
function slowConfig(concurrency: 'queue' | 'supersede', ledger: string, branches = 'main'): string {
  return `version: 1
environments:
  staging: { branch: [${branches}] }
projects:
  - name: app
    dir: app
    engine: command
    environments: [staging]
    command:
      plan: echo "begin $(cat version)" >> "$PUSHGATE_DEPLOY_ROOT/${ledger}"; sleep 1; cp version plan.out
      planFile: plan.out
      apply: echo "end $(cat "$PUSHGATE_PLAN_FILE")" >> "$PUSHGATE_DEPLOY_ROOT/${ledger}"
concurrency: ${concurrency}
`;
}

async function ledger(name: string): Promise<string[]> {
  return (await readFile(join(h.root, 'deployed', name), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The lock as `pushgate locks` shows it, once `runId` is parked in its queue on a task token. */
function parked(repo: string, runId: string): Promise<HeldLockRecord> {
  return until(`${runId} is parked`, async () =>
    (await h.store.listLocks(repo)).find((lock) => lock.waiting.some((w) => w.owner === runId && w.parked)),
  );
}

async function sweep(): Promise<SweepLocksResult> {
  const output = await lambda.send(new InvokeCommand({ FunctionName: 'pushgate-local-lockSweep', Payload: '{}' }));
  expect(output.FunctionError).toBeUndefined();
  return JSON.parse(Buffer.from(output.Payload!).toString('utf8')) as SweepLocksResult;
}

const lockHeldRetries = (run: FinishedRun) =>
  run.history.filter(
    (e) => e.type === 'LambdaFunctionFailed' && e.lambdaFunctionFailedEventDetails?.error === 'LockHeldError',
  ).length;

const lockOutputs = (run: FinishedRun) =>
  run.history
    .filter((e) => e.stateExitedEventDetails?.name === 'AcquireLock')
    .map((e) => JSON.parse(e.stateExitedEventDetails!.output!).lock as Record<string, unknown>);

describe('the lock queue hands the lock over', () => {
  it('queue: the second run parks on a token and resumes when the first releases, with no retries', async () => {
    const repo = await h.repository('handoff', {
      'pushgate.yml': slowConfig('queue', 'handoff.log', 'main, release'),
      'app/version': '1\n',
    });
    const first = await repo.push({}, 'v1');
    await until('v1 plans', async () => ((await ledger('handoff.log')).includes('begin 1') ? true : undefined));
    const second = await repo.push({ 'app/version': '2\n' }, 'v2', 'release');
    const lock = await parked('local/handoff', second.runIds[0]!);
    expect(lock.owner).toBe(first.runIds[0]);
    const [a, b] = await Promise.all([repo.finished(first.runIds[0]!), repo.finished(second.runIds[0]!)]);
    expect(a.run.status).toBe('succeeded');
    expect(b.run.status).toBe('succeeded');
    expect(await ledger('handoff.log')).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2']);
    // It waited once, on a token, and came back to take the lock: no LockHeldError polling.
    expect(b.states.filter((s) => s === 'WaitForLock')).toHaveLength(1);
    expect(lockHeldRetries(b)).toBe(0);
    expect(lockOutputs(b)).toEqual([
      expect.objectContaining({ locked: false, waiting: true, heldBy: expect.stringContaining(first.runIds[0]!) }),
      expect.objectContaining({ locked: true, owner: second.runIds[0] }),
    ]);
    expect(await h.store.getLock({ repo: 'local/handoff', project: 'app', environment: 'staging' })).toBeUndefined();
  });

  it('supersede: a newer run that parks fails the older parked one (superseded); the newest applies', async () => {
    const key = { repo: 'local/handsup', project: 'app', environment: 'staging' };
    // A holder older than any push, released by the test once both runs are parked.
    await h.store.acquireLock(key, 'holder', { leaseSeconds: 3600, position: '0#holder', mode: 'supersede' });
    const repo = await h.repository('handsup', {
      'pushgate.yml': slowConfig('supersede', 'sup.log'),
      'app/version': '1\n',
    });
    const two = await repo.push({}, 'v2');
    await parked(key.repo, two.runIds[0]!);
    const three = await repo.push({ 'app/version': '3\n' }, 'v3');
    await parked(key.repo, three.runIds[0]!);
    const r2 = await repo.finished(two.runIds[0]!);
    expect(await h.store.releaseLock(key, 'holder')).toBe(true);
    expect((await sweep()).handedTo).toEqual([three.runIds[0]]);
    const r3 = await repo.finished(three.runIds[0]!);
    expect(r2.run.status).toBe('superseded');
    expect(r2.execution.status).toBe('SUCCEEDED');
    expect(r2.states).toEqual(expect.arrayContaining(['WaitForLock', 'TargetFailed']));
    expect(r2.states).not.toContain('Plan');
    expect(r2.targets[0]).toMatchObject({
      status: 'superseded',
      reason: expect.stringContaining(`a newer run (${three.runIds[0]})`),
    });
    expect(r3.run.status).toBe('succeeded');
    expect(await ledger('sup.log')).toEqual(['begin 3', 'end 3']);
  });

  it("a stopped waiter's place is skipped: the run behind it is handed the lock", async () => {
    const key = { repo: 'local/handstop', project: 'app', environment: 'staging' };
    // A holder older than any push, which the test releases itself.
    await h.store.acquireLock(key, 'holder', { leaseSeconds: 3600, position: '0#holder', mode: 'queue' });
    const repo = await h.repository('handstop', {
      'pushgate.yml': slowConfig('queue', 'stop.log'),
      'app/version': '1\n',
    });
    const a = await repo.push({}, 'a');
    await parked(key.repo, a.runIds[0]!);
    const b = await repo.push({ 'app/version': '2\n' }, 'b', 'main');
    await parked(key.repo, b.runIds[0]!);
    const runA = (await h.store.getRun(a.runIds[0]!))!;
    h.stack.stepfunctions.stopExecution({ executionArn: runA.executionArn!, cause: 'not this one' });
    await repo.finished(a.runIds[0]!);
    // executionEnded closes the run (and leaves the queue) after the execution has ended.
    await until('a is cancelled', async () =>
      (await h.store.getRun(a.runIds[0]!))?.status === 'cancelled' ? true : undefined,
    );
    // The holder lets go the way a run does (release, then the sweep's handoff): b is next.
    expect(await h.store.releaseLock(key, 'holder')).toBe(true);
    const swept = await sweep();
    expect(swept.handedTo).toContain(b.runIds[0]);
    const rb = await repo.finished(b.runIds[0]!);
    // a's commit is older than b's on the same branch: only b plans and applies.
    expect(rb.run.status).toBe('succeeded');
    expect(await ledger('stop.log')).toEqual(['begin 2', 'end 2']);
  });

  it('a holder whose lease ran out is swept: the parked run is handed the lock and says whose it took over', async () => {
    const key = { repo: 'local/handexpired', project: 'app', environment: 'staging' };
    const lease = await h.store.acquireLock(key, 'dead-run', { leaseSeconds: 6, position: '0#dead', mode: 'queue' });
    expect(lease.status).toBe('acquired');
    const repo = await h.repository('handexpired', {
      'pushgate.yml': slowConfig('queue', 'expired.log'),
      'app/version': '1\n',
    });
    const a = await repo.push({}, 'a');
    await parked(key.repo, a.runIds[0]!);
    // Nothing releases the dead run's lock; once its lease has ended, the sweep hands it over.
    await until('the lease ends', async () => ((await h.store.getLock(key))?.expired ? true : undefined));
    const swept = await sweep();
    expect(swept.handedTo).toEqual([a.runIds[0]]);
    const result = await repo.finished(a.runIds[0]!);
    expect(result.run.status).toBe('succeeded');
    expect(lockOutputs(result).at(-1)).toMatchObject({ locked: true, tookOverFrom: 'dead-run' });
    expect(lockHeldRetries(result)).toBe(0);
  });

  it('a waiter whose lockWaitMinutes run out fails with the reason, and leaves the queue', async () => {
    const key = { repo: 'local/handtimeout', project: 'app', environment: 'staging' };
    await h.store.acquireLock(key, 'long-holder', { leaseSeconds: 3600, position: '0#long', mode: 'queue' });
    const repo = await h.repository('handtimeout', {
      'pushgate.yml': `${slowConfig('queue', 'timeout.log')}lockWaitMinutes: 1\n`,
      'app/version': '1\n',
    });
    const a = await repo.push({}, 'a');
    await parked(key.repo, a.runIds[0]!);
    // 56 of its 60 s have passed (the wait counts from the ticket's first ask), and something resumes
    // it without handing it the lock (a raw SendTaskSuccess with its token): AcquireLock finds the lock
    // still held and parks it again with the few seconds that are left, which then run out.
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: h.stack.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :wait)',
        ExpressionAttributeValues: { ':pk': `LOCK#${key.repo}#app#staging`, ':wait': 'WAIT#' },
        ConsistentRead: true,
      }),
    );
    const ticket = Items.find((item) => item.owner === a.runIds[0])!;
    await documents.send(
      new UpdateCommand({
        TableName: h.stack.tableName,
        Key: { pk: ticket.pk, sk: ticket.sk },
        UpdateExpression: 'SET queuedAt = :then',
        ExpressionAttributeValues: { ':then': new Date(Date.now() - 56_000).toISOString() },
      }),
    );
    h.stack.stepfunctions.sendTaskSuccess({ taskToken: ticket.taskToken, output: '{"forged":true}' });
    const result = await repo.finished(a.runIds[0]!);
    expect(result.run.status).toBe('failed');
    expect(result.targets[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/gave up after waiting 1 min for app\/staging: held by run long-holder/),
    });
    expect(result.states.filter((s) => s === 'WaitForLock')).toHaveLength(2);
    expect(result.states).not.toContain('Plan');
    expect((await h.store.getLock(key))?.owner).toBe('long-holder');
    expect((await h.store.listLocks(key.repo))[0]?.waiting).toEqual([]);
  });
});
