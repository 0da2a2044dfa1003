import { callerIntent } from '../../../functions/lib/approval/caller-intent.ts';
import { describe, it } from 'vitest';
import type { CallerIdentity } from '../../../functions/lib/approval/verify-caller-identity.ts';
import type { RepoPermission } from '../../../functions/lib/git/git-host.ts';
import type { PlatformPolicy } from '../../../functions/lib/policy/platform-policy.ts';
import { startRollback, type StartRollbackDeps } from '../../../functions/lib/rollback/start-rollback.ts';
import type { DeploymentRecord, RunRecord } from '../../../functions/lib/store/types.ts';
import { createMemoryWorkflow } from '../../helpers/memory-workflow.ts';
import { localPolicy } from '../../helpers/policy.ts';

const REPO = 'acme/infra';
const ARN = 'arn:aws:iam::000000000000:user/ops';
const V1 = '1'.repeat(40);
const V2 = '2'.repeat(40);
const V3 = '3'.repeat(40);

function deployment(project: string, sha: string, at: string, status: DeploymentRecord['status'] = 'succeeded') {
  return {
    repo: REPO,
    environment: 'staging',
    project,
    runId: `run-${project}-${sha.slice(0, 1)}`,
    sha,
    status,
    actor: 'bob',
    deployedAt: `2025-01-0${at}T00:00:00.000Z`,
  } satisfies DeploymentRecord;
}

/**
 * The store's deployment and run slices over arrays: the domain reads them through the store's
 * interface only (the Dynamo implementation has its own tests against dynalite).
 */
function setup(
  history: DeploymentRecord[],
  options: { identity?: CallerIdentity; permission?: RepoPermission; principals?: Record<string, string> } = {},
) {
  const runs = new Map<string, RunRecord>();
  const workflow = createMemoryWorkflow();
  const policy: PlatformPolicy = { ...localPolicy.policy, awsPrincipals: options.principals ?? { [ARN]: 'alice' } };
  const deps: StartRollbackDeps = {
    store: {
      async getCurrent(repo, environment) {
        const latest = new Map<string, DeploymentRecord>();
        for (const d of history) {
          if (d.repo !== repo || d.environment !== environment || d.status !== 'succeeded') continue;
          const seen = latest.get(d.project);
          if (!seen || seen.deployedAt <= d.deployedAt) latest.set(d.project, d);
        }
        return [...latest.values()];
      },
      async listDeployments(repo, environment, opts) {
        return history
          .filter(
            (d) => d.repo === repo && d.environment === environment && (!opts?.project || d.project === opts.project),
          )
          .sort((a, b) => b.deployedAt.localeCompare(a.deployedAt))
          .slice(0, opts?.limit ?? 20);
      },
      async getRun(runId) {
        return runs.get(runId) ?? (runId.startsWith('run-') ? ({ branch: 'main' } as RunRecord) : undefined);
      },
      async createRun(run, now) {
        const at = (now ?? new Date()).toISOString();
        const record = { status: 'queued' as const, ...run, createdAt: at, updatedAt: at };
        runs.set(run.runId, record);
        return record;
      },
      async setRunStatus(runId, status, fields) {
        const record = { ...runs.get(runId)!, status, ...fields };
        runs.set(runId, record);
        return record;
      },
    },
    gitHost: {
      getPermission: async () => options.permission ?? 'write',
      getDefaultBranch: async () => 'main',
    },
    policy: async () => policy,
    verifyIdentity: async () => options.identity ?? { arn: ARN },
    workflow,
    now: () => new Date('2025-02-01T00:00:00.000Z'),
    newRunId: () => '01ROLLBACK',
  };
  return { deps, runs, workflow };
}

const ask = (extra: Record<string, unknown> = {}) => ({
  repo: REPO,
  environment: 'staging',
  identity: { presignedUrl: 'https://sts.amazonaws.com/?Action=GetCallerIdentity' },
  ...extra,
});

describe('startRollback', () => {
  it('starts a rollback run of the last successful deployment before the current one, as the mapped login', async ({
    expect,
  }) => {
    const { deps, runs, workflow } = setup([
      deployment('web', V1, '1'),
      deployment('web', V3, '2', 'failed'),
      deployment('web', V2, '3'),
    ]);
    const result = await startRollback(ask(), deps);
    expect(result).toMatchObject({
      ok: true,
      runId: '01ROLLBACK',
      sha: V1,
      actor: 'alice',
      targets: [{ project: 'web', from: V2, to: V1 }],
    });
    expect(runs.get('01ROLLBACK')).toMatchObject({ kind: 'rollback', actor: 'alice', sha: V1, status: 'queued' });
    const [started] = [...workflow.started.values()];
    expect(started).toMatchObject({
      kind: 'rollback',
      sha: V1,
      branch: 'main',
      actor: 'alice',
      rollback: { environment: 'staging', projects: ['web'] },
    });
  });

  it('takes --to only when that commit was deployed there successfully, by prefix', async ({ expect }) => {
    const history = [deployment('web', V1, '1'), deployment('web', V2, '2'), deployment('web', V3, '3')];
    expect(await startRollback(ask({ to: V1.slice(0, 7) }), setup(history).deps)).toMatchObject({ ok: true, sha: V1 });
    const never = await startRollback(ask({ to: 'abcdef0' }), setup(history).deps);
    expect(never).toMatchObject({ ok: false, code: 'unknown' });
    expect(never.ok ? '' : never.message).toContain('abcdef0 was never deployed successfully to staging');
  });

  it('refuses a commit whose deployment there failed', async ({ expect }) => {
    const history = [deployment('web', V1, '1', 'failed'), deployment('web', V2, '2')];
    const result = await startRollback(ask({ to: V1 }), setup(history).deps);
    expect(result).toMatchObject({ ok: false, code: 'unknown' });
  });

  it('refuses an environment or a project nothing was deployed to', async ({ expect }) => {
    const history = [deployment('web', V1, '1'), deployment('web', V2, '2')];
    expect(await startRollback(ask({ environment: 'prod' }), setup(history).deps)).toEqual({
      ok: false,
      code: 'unknown',
      message: 'nothing of acme/infra was ever deployed to prod',
    });
    expect(await startRollback(ask({ project: 'api' }), setup(history).deps)).toMatchObject({
      ok: false,
      code: 'unknown',
      message: expect.stringContaining('api was never deployed to staging'),
    });
  });

  it('refuses when there is nothing earlier, and projects that go back to different commits', async ({ expect }) => {
    expect(await startRollback(ask(), setup([deployment('web', V1, '1')]).deps)).toMatchObject({
      ok: false,
      code: 'refused',
      message: expect.stringContaining('web: no earlier successful deployment'),
    });
    const split = [
      deployment('web', V1, '1'),
      deployment('api', V2, '2'),
      deployment('web', V3, '3'),
      deployment('api', V3, '4'),
    ];
    const result = await startRollback(ask(), setup(split).deps);
    expect(result).toMatchObject({ ok: false, code: 'refused', message: expect.stringContaining('--project') });
    expect(await startRollback(ask({ project: 'api' }), setup(split).deps)).toMatchObject({ ok: true, sha: V2 });
  });

  it('refuses a caller STS did not prove, one the policy does not map, and one without write access', async ({
    expect,
  }) => {
    const history = [deployment('web', V1, '1'), deployment('web', V2, '2')];
    const unproven = setup(history, { identity: { refused: 'STS refused the identity proof (403): sign it again' } });
    expect(await startRollback(ask(), unproven.deps)).toMatchObject({ ok: false, code: 'refused' });
    const unmapped = setup(history, { principals: {} });
    expect(await startRollback(ask(), unmapped.deps)).toMatchObject({
      ok: false,
      code: 'refused',
      message: `${ARN} is not mapped to a GitHub login (policy awsPrincipals): only a mapped caller may roll back`,
    });
    const reader = setup(history, { permission: 'read' });
    expect(await startRollback(ask(), reader.deps)).toMatchObject({
      ok: false,
      code: 'refused',
      message: 'alice has read access to acme/infra: a rollback needs write access',
    });
    for (const refused of [unproven, unmapped, reader]) expect(refused.runs.size).toBe(0);
  });

  it('answers a malformed request as invalid, without asking STS', async ({ expect }) => {
    const { deps } = setup([]);
    let asked = false;
    deps.verifyIdentity = async () => ((asked = true), { arn: ARN });
    expect(await startRollback({ ...ask(), to: 'HEAD~1' }, deps)).toMatchObject({ ok: false, code: 'invalid' });
    expect(await startRollback({ ...ask(), runId: 'mine' }, deps)).toMatchObject({ ok: false, code: 'invalid' });
    expect(asked).toBe(false);
  });

  it('asks STS to prove the caller for this rollback only (the intent of its own fields)', async ({ expect }) => {
    const { deps } = setup([]);
    const intents: string[] = [];
    deps.verifyIdentity = async (_url, intent) => (intents.push(intent), { refused: 'stop here' });
    const { identity: _identity, ...fields } = ask();
    await startRollback(ask(), deps);
    expect(intents).toEqual([callerIntent('rollback', fields)]);
    expect(intents[0]).not.toBe(callerIntent('approve', fields));
  });
});
