import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { DeploymentRecord, Store } from '../../../functions/lib/store/index.ts';
import type { Status } from '../../../functions/lib/status.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

const REPO = 'octo/infra';

let dynamo: RunningDynalite;
let store: Store;

function deployment(
  runId: string,
  minute: number,
  overrides: Partial<DeploymentRecord> = {},
): DeploymentRecord & { status: Status } {
  return {
    repo: REPO,
    environment: 'prod',
    project: 'network',
    runId,
    sha: runId.padEnd(40, '0').slice(0, 40),
    status: 'succeeded',
    actor: 'octocat',
    deployedAt: new Date(Date.UTC(2025, 2, 1, 12, minute)).toISOString(),
    ...overrides,
  };
}

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
});

describe('deployment history (access pattern 3)', () => {
  it('lists deployments of one environment newest first, failures included', async () => {
    const summary = { add: 1, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: true };
    await store.recordDeployment(deployment('r1', 1, { summary }));
    await store.recordDeployment(deployment('r3', 3, { project: 'app' }));
    await store.recordDeployment(deployment('r2', 2, { status: 'failed' }));
    await store.recordDeployment(deployment('r9', 9, { environment: 'staging' }));
    await store.recordDeployment(deployment('r8', 8, { repo: 'octo/other' }));

    const listed = await store.listDeployments(REPO, 'prod');
    expect(listed.map((d) => d.runId)).toEqual(['r3', 'r2', 'r1']);
    expect(listed[2]).toEqual(deployment('r1', 1, { summary }));
    expect((await store.listDeployments(REPO, 'staging')).map((d) => d.runId)).toEqual(['r9']);
    expect(await store.listDeployments(REPO, 'dev')).toEqual([]);
  });

  it('filters by project and honours the limit', async () => {
    // 30 app deployments interleaved with 30 network ones; default limit 20.
    for (let minute = 0; minute < 60; minute++) {
      await store.recordDeployment(deployment(`r${minute}`, minute, { project: minute % 2 ? 'network' : 'app' }));
    }
    const latest = await store.listDeployments(REPO, 'prod');
    expect(latest.map((d) => d.runId)).toEqual(Array.from({ length: 20 }, (_, i) => `r${59 - i}`));

    const network = await store.listDeployments(REPO, 'prod', { project: 'network', limit: 25 });
    expect(network.map((d) => d.runId)).toEqual(Array.from({ length: 25 }, (_, i) => `r${59 - 2 * i}`));

    const allApp = await store.listDeployments(REPO, 'prod', { project: 'app', limit: 100 });
    expect(allApp).toHaveLength(30);
    expect(await store.listDeployments(REPO, 'prod', { limit: 3 })).toHaveLength(3);
    await expect(store.listDeployments(REPO, 'prod', { limit: 0 })).rejects.toMatchObject({ name: 'StoreError' });
  });

  it('reads past the 1 MB page a Query returns', async () => {
    // ~20 KB each: 60 of them need two pages.
    const outputChanges = Array.from({ length: 40 }, (_, i) => `output_${i}_`.padEnd(500, 'x'));
    const summary = { add: 0, change: 1, destroy: 0, replace: 0, outputChanges, hasChanges: true };
    for (let minute = 0; minute < 60; minute++) {
      await store.recordDeployment(
        deployment(`r${minute}`, minute, { summary, project: minute < 5 ? 'app' : 'network' }),
      );
    }
    const app = await store.listDeployments(REPO, 'prod', { project: 'app' });
    expect(app.map((d) => d.runId)).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
    expect(app[0]?.summary?.outputChanges).toEqual(outputChanges);
  });

  it('stores deployedAt in the one sortable format', async () => {
    await store.recordDeployment(deployment('r1', 0, { deployedAt: '2025-03-01T13:00:00+01:00' }));
    const [entry] = await store.listDeployments(REPO, 'prod');
    expect(entry?.deployedAt).toBe('2025-03-01T12:00:00.000Z');
    await expect(store.recordDeployment(deployment('r2', 0, { deployedAt: 'yesterday' }))).rejects.toMatchObject({
      name: 'StoreError',
    });
  });
});

describe('deployed now (access pattern 4)', () => {
  it('keeps the newest successful deployment of each project', async () => {
    await store.recordDeployment(deployment('r1', 1));
    await store.recordDeployment(deployment('r2', 2, { project: 'app' }));
    await store.recordDeployment(deployment('r3', 3));
    await store.recordDeployment(deployment('r4', 4, { status: 'failed' }));
    await store.recordDeployment(deployment('r5', 5, { environment: 'staging' }));

    const current = await store.getCurrent(REPO, 'prod');
    expect(current.sort((a, b) => a.project.localeCompare(b.project))).toEqual([
      deployment('r2', 2, { project: 'app' }),
      deployment('r3', 3),
    ]);
    expect((await store.getCurrent(REPO, 'staging')).map((d) => d.runId)).toEqual(['r5']);
    expect(await store.getCurrent(REPO, 'dev')).toEqual([]);
  });

  it('never lets an older run finishing late replace a newer deployment', async () => {
    await store.recordDeployment(deployment('r-new', 10));
    await store.recordDeployment(deployment('r-old', 5));
    expect((await store.getCurrent(REPO, 'prod')).map((d) => d.runId)).toEqual(['r-new']);
    // The late one is still history.
    expect((await store.listDeployments(REPO, 'prod')).map((d) => d.runId)).toEqual(['r-new', 'r-old']);
  });

  it('is safe to repeat', async () => {
    await store.recordDeployment(deployment('r1', 1));
    await store.recordDeployment(deployment('r1', 1));
    expect(await store.getCurrent(REPO, 'prod')).toEqual([deployment('r1', 1)]);
    expect(await store.listDeployments(REPO, 'prod')).toEqual([deployment('r1', 1)]);
  });
});
