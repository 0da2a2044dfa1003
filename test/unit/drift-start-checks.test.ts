import { describe, expect, it } from 'vitest';
import { InvalidDriftRequestError } from '../../functions/lib/drift/drift-errors.ts';
import {
  CLI_ACTOR,
  SCHEDULE_ACTOR,
  startDriftChecks,
  type StartDriftChecksDeps,
} from '../../functions/lib/drift/start-drift-checks.ts';
import type { DeployedEnvironment, DeploymentRecord, RunRecord } from '../../functions/lib/store/types.ts';
import type { RunRequest } from '../../functions/lib/workflow/contract.ts';
import { createMemoryWorkflow } from '../helpers/memory-workflow.ts';

const REPO = 'acme/infra';
const OTHER = 'acme/apps';
const V1 = '1'.repeat(40);
const V2 = '2'.repeat(40);
const NOW = new Date('2026-01-01T12:00:00.000Z');

const CONFIG = `version: 1
environments:
  staging:
    branch: main
  prod:
    branch: main
    drift: { schedule: rate(1 hour) }
  sandbox:
    branch: main
    drift: { schedule: "off" }
projects:
  - name: network
    dir: network
    engine: terraform
    environments: [staging, prod, sandbox]
  - name: app
    dir: app
    engine: terraform
    environments: [staging, prod, sandbox]
`;

function deployed(environment: string, project: string, sha: string, repo = REPO): DeploymentRecord {
  return {
    repo,
    environment,
    project,
    runId: `run-${project}`,
    sha,
    status: 'succeeded',
    actor: 'bob',
    deployedAt: '2025-12-31T00:00:00.000Z',
  };
}

/**
 * The store slices the drift function uses, over arrays: the domain reads them through the store's
 * interface only (the Dynamo implementation is tested against dynalite, and the handler is in
 * test/integration/drift-handler.test.ts).
 */
function setup(options: {
  registry: DeployedEnvironment[];
  current: DeploymentRecord[];
  files?: Record<string, string | undefined>;
  failStart?: boolean;
}) {
  const runs = new Map<string, RunRecord>();
  const marks: { repo: string; environment: string; at: string }[] = [];
  const workflow = createMemoryWorkflow();
  let next = 0;
  const deps: StartDriftChecksDeps = {
    store: {
      async listDeployedEnvironments(filter) {
        return options.registry.filter(
          (entry) =>
            (filter?.repo === undefined || entry.repo === filter.repo) &&
            (filter?.environment === undefined || entry.environment === filter.environment),
        );
      },
      async markDriftCheckStarted(repo, environment, at) {
        marks.push({ repo, environment, at: at.toISOString() });
      },
      async getCurrent(repo, environment) {
        return options.current.filter((d) => d.repo === repo && d.environment === environment);
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
      getDefaultBranch: async () => 'main',
      getFile: async (repo, path, ref) => {
        expect(path).toBe('pushgate.yml');
        // The default branch as it is now, never a commit or a tag.
        expect(ref).toBe('refs/heads/main');
        const files = options.files ?? { [REPO]: CONFIG, [OTHER]: CONFIG };
        return files[repo];
      },
    },
    workflow: options.failStart
      ? {
          ...workflow,
          start: async () => {
            throw new Error('Step Functions is unreachable');
          },
        }
      : workflow,
    now: () => NOW,
    newRunId: () => `01RUN${String(++next).padStart(21, '0')}`,
  };
  const requests = () => [...workflow.started.values()];
  return { deps, runs, marks, requests };
}

const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

describe('startDriftChecks: the schedule', () => {
  it('starts a check only for environments that are due, and marks when it did', async () => {
    const { deps, marks, requests } = setup({
      registry: [
        // staging: default rate(6 hours), last checked 7 h ago: due.
        { repo: REPO, environment: 'staging', lastDriftCheckAt: ago(7 * 60) },
        // prod: rate(1 hour), checked 30 min ago: not due.
        { repo: REPO, environment: 'prod', lastDriftCheckAt: ago(30) },
        // sandbox: off: never scheduled.
        { repo: REPO, environment: 'sandbox' },
      ],
      current: [deployed('staging', 'network', V1), deployed('prod', 'network', V1), deployed('sandbox', 'app', V1)],
    });
    const result = await startDriftChecks({ source: 'schedule' }, deps);
    expect(result.started.map((c) => `${c.repo} ${c.environment}`)).toEqual([`${REPO} staging`]);
    expect(result.skipped).toEqual([
      { repo: REPO, environment: 'prod', reason: 'not due until 2026-01-01T12:30:00.000Z' },
      {
        repo: REPO,
        environment: 'sandbox',
        reason: 'scheduled drift checks are off (drift.schedule: off); pushgate drift still checks',
      },
    ]);
    expect(marks).toEqual([{ repo: REPO, environment: 'staging', at: NOW.toISOString() }]);
    expect(requests()).toHaveLength(1);
  });

  it('checks an environment never checked before, and again once its interval has passed', async () => {
    const current = [deployed('prod', 'network', V1)];
    const never = setup({ registry: [{ repo: REPO, environment: 'prod' }], current });
    expect((await startDriftChecks({ source: 'schedule' }, never.deps)).started).toHaveLength(1);
    const hourAgo = setup({ registry: [{ repo: REPO, environment: 'prod', lastDriftCheckAt: ago(60) }], current });
    expect((await startDriftChecks({ source: 'schedule' }, hourAgo.deps)).started).toHaveLength(1);
    const justNow = setup({ registry: [{ repo: REPO, environment: 'prod', lastDriftCheckAt: ago(59) }], current });
    expect((await startDriftChecks({ source: 'schedule' }, justNow.deps)).started).toHaveLength(0);
  });

  it('counts a deployment as a check: an environment deployed since its last check is due an interval later', async () => {
    const recent = { ...deployed('prod', 'network', V1), deployedAt: ago(30) };
    const afterDeploy = setup({
      registry: [{ repo: REPO, environment: 'prod', lastDriftCheckAt: ago(300) }],
      current: [recent],
    });
    const result = await startDriftChecks({ source: 'schedule' }, afterDeploy.deps);
    expect(result.started).toEqual([]);
    expect(result.skipped).toEqual([
      { repo: REPO, environment: 'prod', reason: 'not due until 2026-01-01T12:30:00.000Z' },
    ]);
    // Never checked, deployed 30 minutes ago: not due either; 61 minutes ago: due.
    const never = setup({ registry: [{ repo: REPO, environment: 'prod' }], current: [recent] });
    expect((await startDriftChecks({ source: 'schedule' }, never.deps)).started).toEqual([]);
    const older = setup({
      registry: [{ repo: REPO, environment: 'prod' }],
      current: [recent, { ...deployed('prod', 'app', V1), deployedAt: ago(61) }],
    });
    expect((await startDriftChecks({ source: 'schedule' }, older.deps)).started.map((c) => c.projects)).toEqual([
      ['app', 'network'],
    ]);
  });

  it('does not ask GitHub about an environment checked within the shortest interval', async () => {
    const { deps } = setup({
      registry: [{ repo: REPO, environment: 'prod', lastDriftCheckAt: ago(2) }],
      current: [deployed('prod', 'network', V1)],
    });
    deps.gitHost.getDefaultBranch = async () => {
      throw new Error('GitHub was asked');
    };
    const result = await startDriftChecks({ source: 'schedule' }, deps);
    expect(result.skipped[0]?.reason).toContain('not due');
  });

  it('records a drift run at the deployed commit, then starts it, one run per commit', async () => {
    const { deps, runs, requests } = setup({
      registry: [{ repo: REPO, environment: 'staging' }],
      current: [deployed('staging', 'network', V1), deployed('staging', 'app', V2)],
    });
    const result = await startDriftChecks({ source: 'schedule' }, deps);
    expect(result.started.map((c) => [c.sha, c.projects])).toEqual([
      [V2, ['app']],
      [V1, ['network']],
    ]);
    const started = requests();
    expect(started).toHaveLength(2);
    const first = started.find((run) => run.sha === V2)!;
    expect(first).toMatchObject({
      kind: 'drift',
      repo: REPO,
      sha: V2,
      branch: 'main',
      defaultBranch: 'main',
      ref: 'refs/heads/main',
      actor: SCHEDULE_ACTOR,
      deliveryId: `drift-${first.runId}`,
      drift: { environment: 'staging', projects: ['app'] },
    } satisfies Partial<RunRequest>);
    // Recorded first (Validate accepts only a drift run the function recorded), with its scope.
    expect(runs.get(first.runId)).toMatchObject({
      kind: 'drift',
      sha: V2,
      status: 'queued',
      drift: { environment: 'staging', projects: ['app'] },
      executionArn: result.started.find((c) => c.sha === V2)!.executionArn,
    });
  });

  it('leaves out environments and projects no longer in the default branch pushgate.yml', async () => {
    const { deps } = setup({
      registry: [
        { repo: REPO, environment: 'staging' },
        { repo: REPO, environment: 'qa' },
      ],
      current: [deployed('staging', 'network', V1), deployed('staging', 'removed', V1), deployed('qa', 'network', V1)],
    });
    const result = await startDriftChecks({ source: 'schedule' }, deps);
    expect(result.started.map((c) => c.projects)).toEqual([['network']]);
    expect(result.skipped).toEqual([
      { repo: REPO, environment: 'qa', reason: 'qa is no longer an environment of pushgate.yml on main' },
    ]);
  });

  it('skips a repository whose pushgate.yml is missing or invalid, and goes on with the others', async () => {
    const { deps } = setup({
      registry: [
        { repo: OTHER, environment: 'staging' },
        { repo: REPO, environment: 'staging' },
        { repo: 'acme/broken', environment: 'staging' },
      ],
      current: [
        deployed('staging', 'network', V1),
        deployed('staging', 'network', V1, OTHER),
        deployed('staging', 'network', V1, 'acme/broken'),
      ],
      files: { [REPO]: CONFIG, 'acme/broken': 'version: 2\n' },
    });
    const result = await startDriftChecks({ source: 'schedule' }, deps);
    expect(result.started.map((c) => c.repo)).toEqual([REPO]);
    expect(result.skipped.map((s) => [s.repo, s.reason])).toEqual([
      [OTHER, 'no pushgate.yml on main'],
      ['acme/broken', 'pushgate.yml on main is invalid: version: expected version: 1 (line 1)'],
    ]);
  });

  it('marks a run whose execution did not start failed, says so, and leaves the environment due', async () => {
    const { deps, runs, marks } = setup({
      registry: [{ repo: REPO, environment: 'staging' }],
      current: [deployed('staging', 'network', V1)],
      failStart: true,
    });
    const result = await startDriftChecks({ source: 'schedule' }, deps);
    expect(result.started).toEqual([]);
    expect(result.skipped).toEqual([
      {
        repo: REPO,
        environment: 'staging',
        reason: 'network at 1111111: the workflow did not start: Step Functions is unreachable',
        failed: true,
      },
    ]);
    expect([...runs.values()].map((run) => run.status)).toEqual(['failed']);
    expect(marks).toEqual([]);
  });
});

describe('startDriftChecks: pushgate drift', () => {
  const registry: DeployedEnvironment[] = [
    { repo: REPO, environment: 'staging', lastDriftCheckAt: ago(1) },
    { repo: REPO, environment: 'sandbox', lastDriftCheckAt: ago(1) },
    { repo: OTHER, environment: 'staging' },
  ];
  const current = [
    deployed('staging', 'network', V1),
    deployed('staging', 'app', V1),
    deployed('sandbox', 'app', V1),
    deployed('staging', 'network', V2, OTHER),
  ];

  it('checks now, whatever the schedule (off included), as the caller', async () => {
    const { deps, marks, requests } = setup({ registry, current });
    const result = await startDriftChecks({ source: 'cli', repo: REPO, actor: 'user/alice' }, deps);
    expect(result.started.map((c) => [c.environment, c.projects])).toEqual([
      ['sandbox', ['app']],
      ['staging', ['app', 'network']],
    ]);
    expect(requests().map((run) => run.actor)).toEqual(['user/alice', 'user/alice']);
    // The CLI's check counts for the schedule too.
    expect(marks.map((m) => m.environment)).toEqual(['sandbox', 'staging']);
  });

  it('narrows to an environment and a project, and names the caller pushgate drift without an actor', async () => {
    const { deps, requests } = setup({ registry, current });
    const result = await startDriftChecks(
      { source: 'cli', repo: REPO, environment: 'staging', project: 'network' },
      deps,
    );
    expect(result.started.map((c) => [c.environment, c.projects])).toEqual([['staging', ['network']]]);
    expect(requests()[0]?.actor).toBe(CLI_ACTOR);
  });

  it('checks every repository without a repo', async () => {
    const { deps } = setup({ registry, current });
    const result = await startDriftChecks({ source: 'cli', environment: 'staging' }, deps);
    expect(result.started.map((c) => `${c.repo} ${c.sha.slice(0, 1)}`)).toEqual([`${OTHER} 2`, `${REPO} 1`]);
  });

  it('says why when the project is not deployed there, and starts nothing', async () => {
    const { deps } = setup({ registry, current });
    const result = await startDriftChecks({ source: 'cli', repo: REPO, environment: 'staging', project: 'dns' }, deps);
    expect(result).toEqual({
      started: [],
      skipped: [
        { repo: REPO, environment: 'staging', reason: 'dns is not deployed to staging (deployed there: app, network)' },
      ],
    });
  });

  it('refuses a request of neither shape, naming the field', async () => {
    const { deps } = setup({ registry, current });
    await expect(startDriftChecks({ source: 'cli', repo: 'not a repo' }, deps)).rejects.toThrow(
      InvalidDriftRequestError,
    );
    await expect(startDriftChecks({ source: 'cli', repo: 'not a repo' }, deps)).rejects.toThrow(/at repo: /);
    await expect(startDriftChecks({ source: 'schedule', repo: REPO }, deps)).rejects.toThrow(/unrecognized key/i);
    await expect(startDriftChecks({ source: 'webhook' }, deps)).rejects.toThrow(/at source: /);
  });
});
