import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { DeploymentRecord, PlanSummary, Store } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

// Drift state on the "deployed now" items and the registry of deployed environments, against
// dynalite (the same DynamoDB stand-in every store test uses).

const REPO = 'octo/infra';
const SHA = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const KEY = { repo: REPO, environment: 'prod', project: 'network' };
const CHANGE: PlanSummary = { add: 0, change: 1, destroy: 0, replace: 0, outputChanges: [], hasChanges: true };

let dynamo: RunningDynalite;
let store: Store;

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute));

function deployment(runId: string, minute: number, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    ...KEY,
    runId,
    sha: SHA,
    status: 'succeeded',
    actor: 'octocat',
    deployedAt: at(minute).toISOString(),
    ...overrides,
  };
}

const check = (runId: string, minute: number, drifted: boolean, sha = SHA) => ({
  sha,
  runId,
  drifted,
  ...(drifted ? { summary: CHANGE } : {}),
  checkedAt: at(minute),
});

const current = async () => (await store.getCurrent(REPO, 'prod')).find((d) => d.project === 'network');

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
});

describe('the registry of deployed environments', () => {
  it('recordDeployment registers repo + environment once; markDriftCheckStarted is kept across deployments', async () => {
    expect(await store.listDeployedEnvironments()).toEqual([]);
    await store.recordDeployment(deployment('r1', 0));
    await store.recordDeployment(deployment('r2', 1, { environment: 'staging' }));
    await store.recordDeployment(deployment('r3', 2, { repo: 'octo/other' }));
    // A failed deployment registers nothing.
    await store.recordDeployment(deployment('r4', 3, { repo: 'octo/failed', status: 'failed' }));
    await store.markDriftCheckStarted(REPO, 'prod', at(5));
    await store.recordDeployment(deployment('r5', 6));

    expect(await store.listDeployedEnvironments()).toEqual([
      { repo: REPO, environment: 'prod', lastDriftCheckAt: at(5).toISOString() },
      { repo: REPO, environment: 'staging' },
      { repo: 'octo/other', environment: 'prod' },
    ]);
    expect(await store.listDeployedEnvironments({ repo: REPO })).toHaveLength(2);
    expect(await store.listDeployedEnvironments({ repo: REPO, environment: 'staging' })).toEqual([
      { repo: REPO, environment: 'staging' },
    ]);
    // A repository whose name is a prefix of another's is not mixed up with it.
    expect(await store.listDeployedEnvironments({ repo: 'octo/infr' })).toEqual([]);
    expect(await store.listDeployedEnvironments({ environment: 'prod' })).toHaveLength(2);
  });
});

describe('recordDriftCheck', () => {
  it('alerts once per drift: a second check of it keeps `since`, a clean check clears it, a new drift alerts again', async () => {
    await store.recordDeployment(deployment('deploy', 0));

    expect(await store.recordDriftCheck(KEY, check('c1', 10, false))).toEqual({ recorded: true, newDrift: false });
    expect((await current())?.drift).toEqual({ drifted: false, runId: 'c1', checkedAt: at(10).toISOString() });

    expect(await store.recordDriftCheck(KEY, check('c2', 20, true))).toMatchObject({ recorded: true, newDrift: true });
    expect(await store.recordDriftCheck(KEY, check('c3', 30, true))).toMatchObject({ recorded: true, newDrift: false });
    expect((await current())?.drift).toMatchObject({
      drifted: true,
      summary: CHANGE,
      since: at(20).toISOString(),
      runId: 'c3',
      checkedAt: at(30).toISOString(),
    });

    expect(await store.recordDriftCheck(KEY, check('c4', 40, false))).toEqual({ recorded: true, newDrift: false });
    expect((await current())?.drift).toEqual({ drifted: false, runId: 'c4', checkedAt: at(40).toISOString() });

    expect(await store.recordDriftCheck(KEY, check('c5', 50, true))).toMatchObject({
      recorded: true,
      newDrift: true,
      since: at(50).toISOString(),
    });
  });

  it('a repeat of the check that first saw the drift (a retried Summarize whose write landed) alerts again; no other does', async () => {
    await store.recordDeployment(deployment('deploy', 0));
    const first = await store.recordDriftCheck(KEY, check('c1', 10, true));
    const retried = await store.recordDriftCheck(KEY, check('c1', 10, true));
    expect(first).toMatchObject({ recorded: true, newDrift: true });
    expect(retried).toEqual(first);
    expect(await store.recordDriftCheck(KEY, check('c2', 20, true))).toMatchObject({ newDrift: false });
    // The alerting check retried after a later one: still the same answer, and the later state stays.
    expect(await store.recordDriftCheck(KEY, check('c1', 10, true))).toEqual(first);
    // A late check older than the recorded one that did not alert does not alert now.
    expect(await store.recordDriftCheck(KEY, check('c0', 5, true))).toEqual({ recorded: true, newDrift: false });
    expect((await current())?.drift).toMatchObject({ runId: 'c2', since: at(10).toISOString() });
  });

  it('records nothing once the project runs another commit, or was deployed again after the check began', async () => {
    await store.recordDeployment(deployment('deploy', 0));
    expect(await store.recordDriftCheck(KEY, check('c1', 10, true, OTHER))).toEqual({
      recorded: false,
      newDrift: false,
    });
    expect(await store.recordDriftCheck({ ...KEY, project: 'nothing' }, check('c1', 10, true))).toEqual({
      recorded: false,
      newDrift: false,
    });
    await store.recordDeployment(deployment('again', 20));
    expect(await store.recordDriftCheck(KEY, check('c2', 15, true))).toEqual({ recorded: false, newDrift: false });
    expect((await current())?.drift).toBeUndefined();
  });

  it('a later deployment replaces the "deployed now" item and so clears the drift', async () => {
    await store.recordDeployment(deployment('deploy', 0));
    await store.recordDriftCheck(KEY, check('c1', 10, true));
    expect((await current())?.drift?.drifted).toBe(true);
    await store.recordDeployment(deployment('remediate', 20, { trigger: 'drift' }));
    const now = await current();
    expect(now?.drift).toBeUndefined();
    expect(now).toMatchObject({ runId: 'remediate', trigger: 'drift' });
    // The history never carries drift (it is the deployments' record), and a caller cannot put one.
    await store.recordDeployment({
      ...deployment('forged', 30),
      drift: { drifted: true, runId: 'x', checkedAt: at(30).toISOString() },
    });
    expect((await current())?.drift).toBeUndefined();
    // The drifted checks after it start afresh: newly drifted, alerting.
    expect(await store.recordDriftCheck(KEY, check('c2', 40, true))).toMatchObject({ newDrift: true });
  });

  it('concurrent checks of the same drift: exactly one alerts', async () => {
    await store.recordDeployment(deployment('deploy', 0));
    const results = await Promise.all(
      ['c1', 'c2', 'c3', 'c4'].map((runId, index) => store.recordDriftCheck(KEY, check(runId, 10 + index, true))),
    );
    expect(results.filter((result) => result.newDrift)).toHaveLength(1);
  });
});
