import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/drift-check/handler.ts';
import type { DriftCheckResult } from '../../functions/lib/drift/drift-invocation.ts';
import { createDynamoStore } from '../../functions/lib/store/index.ts';
import type { DeploymentRecord, Store } from '../../functions/lib/store/types.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../helpers/dynalite.ts';
import { createMemoryWorkflow, type MemoryWorkflow } from '../helpers/memory-workflow.ts';

// The drift function's handler against the real record store on dynalite: the registry that
// recordDeployment writes, what runs now, the drift runs it records and the schedule's clock
// (lastDriftCheckAt). GitHub and Step Functions are doubles here: the default branch's pushgate.yml
// is given as text, and the workflow records what was started (test/e2e/drift.test.ts runs the
// checks for real on `pushgate dev`).

const REPO = 'octo/infra';
const V1 = '1'.repeat(40);
const V2 = '2'.repeat(40);
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const CONFIG = `version: 1
environments:
  staging:
    branch: main
  prod:
    branch: main
    drift: { schedule: rate(1 hour) }
projects:
  - name: network
    dir: network
    engine: terraform
    environments: [staging, prod]
`;

let dynamo: RunningDynalite;
let store: Store;
let workflow: MemoryWorkflow;
let clock: number;
const silent = new Logger({ logLevel: 'SILENT' });

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
  workflow = createMemoryWorkflow();
  clock = T0;
});

const handler = () =>
  createHandler(
    async () => ({
      store,
      gitHost: {
        getDefaultBranch: async () => 'main',
        getFile: async (repo, path, ref) =>
          repo === REPO && path === 'pushgate.yml' && ref === 'refs/heads/main' ? CONFIG : undefined,
      },
      workflow,
      now: () => new Date(clock),
      logger: silent,
    }),
    { logger: silent },
  );

async function deploy(environment: string, sha: string, minute: number): Promise<void> {
  const record: DeploymentRecord = {
    repo: REPO,
    environment,
    project: 'network',
    runId: `01DEPLOY${environment}${minute}`,
    sha,
    status: 'succeeded',
    actor: 'octocat',
    deployedAt: new Date(T0 - 86_400_000 + minute * 60_000).toISOString(),
  };
  await store.recordDeployment(record);
}

const started = (result: DriftCheckResult) => result.started.map((c) => `${c.environment}@${c.sha.slice(0, 1)}`);

describe('the drift function on dynalite', () => {
  it('the schedule starts a check of each deployed environment once due, by its own drift.schedule', async () => {
    await deploy('staging', V1, 1);
    await deploy('prod', V1, 2);
    const invoke = handler();

    // Never checked: both are due.
    const first = (await invoke({ source: 'schedule' })) as DriftCheckResult;
    expect(started(first)).toEqual(['prod@1', 'staging@1']);
    const registry = await store.listDeployedEnvironments({ repo: REPO });
    expect(registry.map((e) => [e.environment, e.lastDriftCheckAt])).toEqual([
      ['prod', new Date(T0).toISOString()],
      ['staging', new Date(T0).toISOString()],
    ]);
    // Each check is a recorded drift run of its environment, started with the same request.
    for (const check of first.started) {
      const run = await store.getRun(check.runId);
      expect(run).toMatchObject({
        kind: 'drift',
        repo: REPO,
        sha: V1,
        branch: 'main',
        actor: 'pushgate',
        status: 'queued',
        executionArn: check.executionArn,
        drift: { environment: check.environment, projects: ['network'] },
      });
      expect([...workflow.started.values()].find((request) => request.runId === check.runId)).toMatchObject({
        kind: 'drift',
        drift: { environment: check.environment, projects: ['network'] },
      });
    }

    // 30 minutes on: neither is due (prod every hour, staging every 6 hours).
    clock = T0 + 30 * 60_000;
    const second = (await invoke({ source: 'schedule' })) as DriftCheckResult;
    expect(second.started).toEqual([]);
    expect(second.skipped.map((s) => s.environment)).toEqual(['prod', 'staging']);

    // An hour on: prod only.
    clock = T0 + 60 * 60_000;
    const third = (await invoke({ source: 'schedule' })) as DriftCheckResult;
    expect(started(third)).toEqual(['prod@1']);
    expect(third.skipped).toEqual([
      { repo: REPO, environment: 'staging', reason: 'not due until 2026-03-01T18:00:00.000Z' },
    ]);
    expect(workflow.started.size).toBe(3);
  });

  it('pushgate drift checks now what runs now, and resets the schedule', async () => {
    await deploy('prod', V1, 1);
    const invoke = handler();
    await invoke({ source: 'schedule' });
    await deploy('prod', V2, 2);

    clock = T0 + 5 * 60_000;
    const cli = (await invoke({
      source: 'cli',
      repo: REPO,
      environment: 'prod',
      actor: 'user/alice',
    })) as DriftCheckResult;
    expect(started(cli)).toEqual(['prod@2']);
    expect(await store.getRun(cli.started[0]!.runId)).toMatchObject({ actor: 'user/alice', sha: V2 });
    const [prod] = await store.listDeployedEnvironments({ repo: REPO, environment: 'prod' });
    expect(prod?.lastDriftCheckAt).toBe(new Date(clock).toISOString());
    // A tick right after: not due.
    expect(((await invoke({ source: 'schedule' })) as DriftCheckResult).started).toEqual([]);
  });

  it('a tick right after a deployment starts nothing: the deployment left it as deployed', async () => {
    await store.recordDeployment({
      repo: REPO,
      environment: 'staging',
      project: 'network',
      runId: '01DEPLOYFRESH',
      sha: V1,
      status: 'succeeded',
      actor: 'octocat',
      deployedAt: new Date(T0 - 10 * 60_000).toISOString(),
    });
    const result = (await handler()({ source: 'schedule' })) as DriftCheckResult;
    expect(result).toEqual({
      started: [],
      skipped: [{ repo: REPO, environment: 'staging', reason: 'not due until 2026-03-01T17:50:00.000Z' }],
    });
    const [staging] = await store.listDeployedEnvironments({ repo: REPO });
    expect(staging?.lastDriftCheckAt).toBeUndefined();
  });

  it('fails the invocation for a request of neither shape', async () => {
    await expect(handler()({ source: 'cli', repo: 'not a repo' })).rejects.toMatchObject({
      name: 'InvalidDriftRequestError',
    });
  });
});
