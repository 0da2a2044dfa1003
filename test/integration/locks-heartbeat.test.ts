import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskResumer } from '../../functions/lib/approval/types.ts';
import { handOver } from '../../functions/lib/locks/hand-over.ts';
import { sweepLocks, type SweepLocksResult } from '../../functions/lib/locks/sweep-locks.ts';
import { waitForLock } from '../../functions/lib/locks/wait-for-lock.ts';
import type { ArtifactLinks } from '../../functions/lib/plan/artifact-links.ts';
import { acquireLock } from '../../functions/lib/run/acquire-lock.ts';
import { createSfnTaskHeartbeat } from '../../functions/lib/runtime/clients/sfn-task-heartbeat.ts';
import { createSfnTaskResumer } from '../../functions/lib/runtime/clients/sfn-task-resumer.ts';
import { createDynamoStore } from '../../functions/lib/store/index.ts';
import type { Store, TargetKey } from '../../functions/lib/store/types.ts';
import type { AcquireLockInput, WaitForLockInput } from '../../functions/lib/workflow/contract.ts';
import { createLocalCredentials } from '../../local/aws/local-credentials.ts';
import { loadDefinition } from '../../local/stepfunctions/load-definition.ts';
import { startStepFunctions, type LocalStepFunctionsServer } from '../../local/stepfunctions/start-step-functions.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../helpers/dynalite.ts';

// WaitForLock's heartbeat (issue 12): the lock states of the state machine that holds them
// (state-machines/targets.asl.yml, the child of deploy.asl.yml; found by name) (AcquireLock,
// LockTaken, WaitForLock, TargetFailed; Plan replaced by a Pass) on the local Step Functions, served
// over its API, with the real lock code in-process on dynalite and the real Step Functions clients
// (SendTaskSuccess, SendTaskHeartbeat). The lock sweep ticks every few hundred milliseconds, as the
// schedule does every minute on AWS. HeartbeatSeconds is shrunk to 2 s so a missed heartbeat shows
// within the test.
//
// "the WaitForLock snippet" tests read the real state as it is in the ASL file and need the lead's
// WaitForLock snippet (HeartbeatSeconds and the States.HeartbeatTimeout Catch) applied there; the
// others apply it to a test copy themselves, so they pass whether it has been applied or not.

const STATE_MACHINES = fileURLToPath(new URL('../../state-machines/', import.meta.url));
/** What WaitForLock's HeartbeatSeconds should be once the snippet is applied (see docs/architecture.md, Locks). */
const HEARTBEAT_SECONDS = 240;
const TEST_HEARTBEAT_SECONDS = 2;
const SWEEP_EVERY_MS = 300;
const KEY: TargetKey = { repo: 'acme/infra', project: 'network', environment: 'staging' };

type State = Record<string, unknown> & { Catch?: Catcher[] };
interface Catcher {
  ErrorEquals: string[];
  ResultPath?: string | null;
  Next: string;
}

const artifacts: ArtifactLinks = {
  uploadUrl: async (key) => `https://artifacts.test/${key}?X-Amz-Signature=put`,
  downloadUrl: async (key) => `https://artifacts.test/${key}?X-Amz-Signature=get`,
};

let dynamo: RunningDynalite;
let store: Store;
let server: LocalStepFunctionsServer;
let client: SFNClient;
let tasks: TaskResumer;
/** When set, the next handoff's SendTaskSuccess is lost: the resumer says it resumed, and sends nothing. */
let loseNextHandoff = false;
const targetFailures: unknown[] = [];

/** The states next to WaitForLock, in whichever state machine holds them (deploy or its child, targets). */
function loadStates(): Record<string, State> {
  // Other resources (the child state machine's ARN, a bucket) do not matter to the lock states.
  const anyResource = new Proxy({} as Record<string, string>, {
    // Functions are resolved by functionArn.
    has: (_target, name) => !String(name).includes('LambdaFunction'),
    get: (_target, name) => `arn:aws:states:us-east-1:000000000000:stateMachine:${String(name)}`,
  });
  for (const file of readdirSync(STATE_MACHINES).filter((name) => name.endsWith('.asl.yml'))) {
    const definition = loadDefinition(join(STATE_MACHINES, file), {
      functionArn: (name) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      vars: {
        'self:custom.planProjectName': 'pushgate-test-plan',
        'self:custom.applyProjectName': 'pushgate-test-apply',
        'self:custom.lockRetryAttempts': '3',
      },
      refs: anyResource,
    });
    const states = findStates(definition);
    if (states) return states;
  }
  throw new Error('no state machine in state-machines/ has a WaitForLock state');
}

function findStates(value: unknown): Record<string, State> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const states = (value as { States?: Record<string, State> }).States;
  if (states?.WaitForLock !== undefined) return states;
  for (const child of Object.values(value)) {
    const found = findStates(child);
    if (found) return found;
  }
  return undefined;
}

/** The lock states of the definition, Plan being a Pass that ends the target. */
function lockMachine(states: Record<string, State>, waitForLock: State): object {
  return {
    StartAt: 'AcquireLock',
    States: {
      AcquireLock: states.AcquireLock,
      LockTaken: states.LockTaken,
      WaitForLock: waitForLock,
      TargetFailed: states.TargetFailed,
      Plan: { Type: 'Pass', End: true },
    },
  };
}

/** The lead's snippet, applied to a copy of WaitForLock unless the ASL file already has it. */
function withSnippet(state: State): State {
  const catchers = state.Catch ?? [];
  const hasCatch = catchers.some((c) => c.ErrorEquals.includes('States.HeartbeatTimeout'));
  return {
    ...state,
    HeartbeatSeconds: state.HeartbeatSeconds ?? HEARTBEAT_SECONDS,
    Catch: hasCatch
      ? catchers
      : [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: null, Next: 'AcquireLock' }, ...catchers],
  };
}

function createMachine(name: string, waitForLockState: (real: State) => State): string {
  const states = loadStates();
  const state = waitForLockState(states.WaitForLock!);
  return server.stepFunctions.createStateMachine(name, lockMachine(states, state)).stateMachineArn!;
}

function input(runId: string, receivedAt: string): AcquireLockInput {
  return {
    run: {
      runId,
      deliveryId: `d-${runId}`,
      kind: 'push',
      repo: KEY.repo,
      ref: 'refs/heads/main',
      branch: 'main',
      sha: 'a'.repeat(40),
      actor: 'octocat',
      receivedAt,
    },
    settings: {
      planOnly: false,
      concurrency: 'queue',
      leaseSeconds: 600,
      lockWaitMinutes: 30,
      sourceLocation: 'https://github.com/acme/infra.git',
      queuePosition: `${receivedAt}#${runId}`,
    },
    target: {
      project: KEY.project,
      environment: KEY.environment,
      engine: 'command',
      dir: 'network',
      after: [],
    },
  } as unknown as AcquireLockInput;
}

const started: string[] = [];

function start(stateMachineArn: string, runId: string, receivedAt: string): string {
  const executionArn = server.stepFunctions.startExecution({
    stateMachineArn,
    name: runId,
    input: JSON.stringify(input(runId, receivedAt)),
  }).executionArn!;
  started.push(executionArn);
  return executionArn;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves once `runId` is parked on a task token; returns that token. */
function parked(runId: string): Promise<string> {
  return until(`${runId} is parked`, async () => {
    const ticket = (await store.lockQueue(KEY)).tickets.find((t) => t.owner === runId);
    return ticket?.taskToken;
  });
}

/** The lock sweep on a schedule, with the real clients: what EventBridge Scheduler does every minute. */
function sweepEvery(ms: number): { results: SweepLocksResult[]; stop(): Promise<void> } {
  const results: SweepLocksResult[] = [];
  let stopped = false;
  const heartbeats = createSfnTaskHeartbeat(client);
  const loop = (async () => {
    while (!stopped) {
      results.push(await sweepLocks({ store, heartbeats, handOver: (key) => handOver(key, { store, tasks }) }));
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  })();
  return {
    results,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

function history(executionArn: string): HistoryEvent[] {
  return server.stepFunctions.getExecutionHistory({ executionArn, maxResults: 1000 }).events ?? [];
}
const entered = (events: HistoryEvent[]) =>
  events.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
const lockOutputs = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.stateExitedEventDetails?.name === 'AcquireLock')
    .map((e) => JSON.parse(e.stateExitedEventDetails!.output!).lock as Record<string, unknown>);

beforeAll(async () => {
  dynamo = await startDynalite();
  const credentials = createLocalCredentials();
  server = await startStepFunctions({
    credentials,
    fastRetries: true,
    invokeLambda: async (functionName, payload) => {
      const name = functionName.split(':').at(-1);
      if (name === 'acquireLock') return acquireLock(payload as AcquireLockInput, { store, artifacts });
      if (name === 'waitForLock') {
        return waitForLock(payload as WaitForLockInput, {
          store,
          tasks,
          handOver: (key) => handOver(key, { store, tasks }),
        });
      }
      if (name === 'targetFailed') {
        targetFailures.push(payload);
        return {};
      }
      throw new Error(`unexpected function ${functionName}`);
    },
  });
  client = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials });
  const real = createSfnTaskResumer(client);
  tasks = {
    succeed: async (token, output) => {
      if (loseNextHandoff) {
        loseNextHandoff = false;
        return { resumed: true };
      }
      return real.succeed(token, output);
    },
    fail: (token, error, cause) => real.fail(token, error, cause),
  };
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
  await dynamo?.stop();
});
afterEach(async () => {
  // A run a failed test left waiting must not wander into the next test's table.
  for (const executionArn of started.splice(0)) {
    if (server.stepFunctions.describeExecution(executionArn).status !== 'RUNNING') continue;
    server.stepFunctions.stopExecution({ executionArn, cause: 'test over' });
    await server.stepFunctions.waitForExecution(executionArn);
  }
});
beforeEach(async () => {
  store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
  loseNextHandoff = false;
  targetFailures.length = 0;
});

/**
 * A holder releases while `runId` is parked, and the handoff's SendTaskSuccess is lost: the lock is
 * reserved for the run and its ticket marked resumed, but its execution is never told.
 */
async function loseTheHandoffTo(runId: string): Promise<void> {
  expect(await store.releaseLock(KEY, 'holder')).toBe(true);
  loseNextHandoff = true;
  expect(await handOver(KEY, { store, tasks })).toMatchObject({ handedTo: runId });
  expect(loseNextHandoff).toBe(false);
  expect(await store.getLock(KEY)).toMatchObject({ owner: runId, reserved: true });
}

async function holdTheLock(): Promise<void> {
  const held = await store.acquireLock(KEY, 'holder', { leaseSeconds: 600, position: '0#holder', mode: 'queue' });
  expect(held.status).toBe('acquired');
}

/** The lost-handoff case on a machine: the run misses its heartbeat, comes back and takes its lock. */
async function lostHandoffIsRecovered(stateMachineArn: string, runId: string): Promise<void> {
  await holdTheLock();
  const sweep = sweepEvery(SWEEP_EVERY_MS);
  try {
    const executionArn = start(stateMachineArn, runId, '2026-11-28T00:00:01.000Z');
    await parked(runId);
    await loseTheHandoffTo(runId);
    const done = await server.stepFunctions.waitForExecution(executionArn, { timeoutMs: 20_000 });
    expect(done.status).toBe('SUCCEEDED');
    const events = history(executionArn);
    expect(entered(events)).toEqual(['AcquireLock', 'LockTaken', 'WaitForLock', 'AcquireLock', 'LockTaken', 'Plan']);
    expect(events.find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails).toMatchObject({
      error: 'States.HeartbeatTimeout',
    });
    expect(lockOutputs(events).at(-1)).toMatchObject({ locked: true, owner: runId });
    expect(await store.getLock(KEY)).toMatchObject({ owner: runId });
    expect(await store.getLock(KEY)).not.toHaveProperty('reserved');
    expect(targetFailures).toEqual([]);
  } finally {
    await sweep.stop();
  }
}

describe('WaitForLock has a heartbeat the lock sweep keeps alive', () => {
  it('a lost handoff: the run gets no heartbeat, goes back to AcquireLock and takes the lock reserved for it', async () => {
    const arn = createMachine('lost-handoff', (real) => ({ ...withSnippet(real), HeartbeatSeconds: 2 }));
    await lostHandoffIsRecovered(arn, 'run-lost');
  });

  it('a run parked behind a held lock is kept waiting by the heartbeats, however long it waits', async () => {
    const arn = createMachine('kept-alive', (real) => ({
      ...withSnippet(real),
      HeartbeatSeconds: TEST_HEARTBEAT_SECONDS,
    }));
    await holdTheLock();
    const sweep = sweepEvery(SWEEP_EVERY_MS);
    try {
      const executionArn = start(arn, 'run-kept', '2026-11-28T00:00:02.000Z');
      await parked('run-kept');
      // Three heartbeat periods: without the sweep's heartbeats it would have timed out by now.
      await until('three heartbeat periods passed', async () =>
        sweep.results.filter((r) => (r.heartbeats?.beaten ?? 0) > 0).length >=
        (3 * TEST_HEARTBEAT_SECONDS * 1000) / SWEEP_EVERY_MS
          ? true
          : undefined,
      );
      expect(server.stepFunctions.describeExecution(executionArn).status).toBe('RUNNING');
      expect(entered(history(executionArn))).toEqual(['AcquireLock', 'LockTaken', 'WaitForLock']);
      // The holder releases: the handoff resumes it at once.
      expect(await store.releaseLock(KEY, 'holder')).toBe(true);
      expect(await handOver(KEY, { store, tasks })).toMatchObject({ handedTo: 'run-kept' });
      const done = await server.stepFunctions.waitForExecution(executionArn, { timeoutMs: 20_000 });
      expect(done.status).toBe('SUCCEEDED');
      expect(history(executionArn).some((e) => e.type === 'TaskTimedOut')).toBe(false);
    } finally {
      await sweep.stop();
    }
  });

  it('a run whose ticket stopped being parked comes back to its place in the queue with its first deadline', async () => {
    const arn = createMachine('rejoin', (real) => ({ ...withSnippet(real), HeartbeatSeconds: TEST_HEARTBEAT_SECONDS }));
    await holdTheLock();
    const sweep = sweepEvery(SWEEP_EVERY_MS);
    try {
      const older = start(arn, 'run-older', '2026-11-28T00:00:03.000Z');
      const olderToken = await parked('run-older');
      const newer = start(arn, 'run-newer', '2026-11-28T00:00:04.000Z');
      await parked('run-newer');
      // As a lost handoff leaves it, while the holder still holds the lock: the table says the older
      // run was resumed, so the sweep no longer keeps its wait alive.
      await store.ticketResumed(KEY, {
        owner: 'run-older',
        position: '2026-11-28T00:00:03.000Z#run-older',
        taskToken: olderToken,
      });
      const again = await until('run-older is parked again', async () => {
        const token = (await store.lockQueue(KEY)).tickets.find((t) => t.owner === 'run-older')?.taskToken;
        return token !== undefined && token !== olderToken ? token : undefined;
      });
      expect(again).not.toBe(olderToken);
      const events = history(older);
      expect(entered(events)).toEqual([
        'AcquireLock',
        'LockTaken',
        'WaitForLock',
        'AcquireLock',
        'LockTaken',
        'WaitForLock',
      ]);
      const [first, second] = lockOutputs(events);
      // The same first ask, so the same deadline: the wait left is the first one less the time since.
      expect(second!.waitingSince).toBe(first!.waitingSince);
      expect(second!.waitSeconds as number).toBeLessThanOrEqual(first!.waitSeconds as number);
      // Its place: still ahead of the newer run, which stayed parked (its heartbeats never stopped).
      expect((await store.lockQueue(KEY)).tickets.map((t) => t.owner)).toEqual(['run-older', 'run-newer']);
      expect(entered(history(newer))).toEqual(['AcquireLock', 'LockTaken', 'WaitForLock']);
      // The holder releases: the older run is handed the lock first.
      expect(await store.releaseLock(KEY, 'holder')).toBe(true);
      expect(await handOver(KEY, { store, tasks })).toMatchObject({ handedTo: 'run-older' });
      expect((await server.stepFunctions.waitForExecution(older, { timeoutMs: 20_000 })).status).toBe('SUCCEEDED');
      expect(server.stepFunctions.describeExecution(newer).status).toBe('RUNNING');
    } finally {
      await sweep.stop();
    }
  });

  it("a stopped run's token marks its ticket dead at the next sweep; the run behind it is handed the lock", async () => {
    const arn = createMachine('dead-token', (real) => ({
      ...withSnippet(real),
      HeartbeatSeconds: TEST_HEARTBEAT_SECONDS,
    }));
    await holdTheLock();
    const stopped = start(arn, 'run-stopped', '2026-11-28T00:00:05.000Z');
    await parked('run-stopped');
    const next = start(arn, 'run-next', '2026-11-28T00:00:06.000Z');
    await parked('run-next');
    // Stopped with nothing to close its ticket (executionEnded is not part of this test): it stays parked.
    server.stepFunctions.stopExecution({ executionArn: stopped, cause: 'stopped by a person' });
    await server.stepFunctions.waitForExecution(stopped);
    expect((await store.listParkedTickets()).map((t) => t.owner).sort()).toEqual(['run-next', 'run-stopped']);
    const heartbeats = createSfnTaskHeartbeat(client);
    const swept = await sweepLocks({ store, heartbeats, handOver: (key) => handOver(key, { store, tasks }) });
    expect(swept.heartbeats).toEqual({ beaten: 1, dead: ['run-stopped'], failed: [] });
    expect((await store.lockQueue(KEY)).tickets.map((t) => t.owner)).toEqual(['run-next']);
    expect(await store.releaseLock(KEY, 'holder')).toBe(true);
    expect(await handOver(KEY, { store, tasks })).toEqual({ handedTo: 'run-next', superseded: [], dropped: [] });
    expect((await server.stepFunctions.waitForExecution(next, { timeoutMs: 20_000 })).status).toBe('SUCCEEDED');
  });
});

describe('the real WaitForLock state (needs the WaitForLock snippet applied to the ASL file)', () => {
  it('has HeartbeatSeconds between the sweep period and the waiter TTL, and sends a heartbeat timeout back to AcquireLock', () => {
    const waitForLockState = loadStates().WaitForLock!;
    // More than the sweep's minute with room for missed ticks, less than the 5 minutes an unparked
    // ticket (and a reservation) counts: a run whose handoff was lost is back before its place lapses.
    expect(waitForLockState.HeartbeatSeconds).toBe(HEARTBEAT_SECONDS);
    expect(waitForLockState.TimeoutSecondsPath).toBe('$.lock.waitSeconds');
    // First, or States.ALL (which matches it too) would send it to TargetFailed.
    expect(waitForLockState.Catch?.[0]).toEqual({
      ErrorEquals: ['States.HeartbeatTimeout'],
      ResultPath: null,
      Next: 'AcquireLock',
    });
    expect(waitForLockState.Catch?.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'TargetFailed' });
    expect(JSON.stringify(waitForLockState.Retry)).not.toContain('Heartbeat');
  });

  it('a lost handoff is recovered by the real WaitForLock state (only HeartbeatSeconds shrunk)', async () => {
    const arn = createMachine('real-lost-handoff', (real) => {
      expect(real.HeartbeatSeconds, 'WaitForLock has no HeartbeatSeconds yet: apply the snippet').toBeDefined();
      return { ...real, HeartbeatSeconds: TEST_HEARTBEAT_SECONDS };
    });
    await lostHandoffIsRecovered(arn, 'run-real');
  });
});
