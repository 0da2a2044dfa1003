import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeOutcomes, driftFunctionName, driftOutcomes, type DriftOutcome } from '../../cli/commands/drift.ts';
import { describeDrift } from '../../cli/commands/status.ts';
import { main } from '../../cli/main.ts';
import type { StartedDriftCheck } from '../../functions/lib/drift/drift-invocation.ts';
import { formatDriftSummary } from '../../functions/lib/drift/drift-summary.ts';
import type { PlanSummary } from '../../functions/lib/workflow/contract.ts';
import type { RunRecord, TargetRecord } from '../../functions/lib/store/types.ts';

const SHA = 'a'.repeat(40);
const ONE_CHANGE: PlanSummary = { add: 0, change: 1, destroy: 0, replace: 0, outputChanges: [], hasChanges: true };
const CLEAN: PlanSummary = { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: false };

describe('formatDriftSummary', () => {
  it('names only the counts that are not zero', () => {
    expect(formatDriftSummary(ONE_CHANGE)).toBe('~1 change');
    expect(formatDriftSummary({ ...ONE_CHANGE, add: 2, change: 3, destroy: 1 })).toBe(
      '+2 to add, ~3 changes, -1 to destroy',
    );
    expect(formatDriftSummary({ ...CLEAN, outputChanges: ['url'], hasChanges: true })).toBe('1 output change');
    expect(formatDriftSummary(CLEAN)).toBe('no changes');
  });
});

describe('driftFunctionName', () => {
  it('is --function, else PUSHGATE_DRIFT_FUNCTION, else pushgate-<stage>-driftCheck', () => {
    expect(driftFunctionName({ function: 'f' }, { PUSHGATE_DRIFT_FUNCTION: 'g' })).toBe('f');
    expect(driftFunctionName({}, { PUSHGATE_DRIFT_FUNCTION: 'g' })).toBe('g');
    expect(driftFunctionName({ stage: 'prod' }, { PUSHGATE_STAGE: 'dev' })).toBe('pushgate-prod-driftCheck');
    expect(driftFunctionName({}, { PUSHGATE_STAGE: 'dev' })).toBe('pushgate-dev-driftCheck');
    expect(driftFunctionName({}, {})).toBe('pushgate-local-driftCheck');
  });
});

const check: StartedDriftCheck = {
  runId: '01RUN',
  repo: 'acme/infra',
  environment: 'prod',
  sha: SHA,
  projects: ['api', 'web'],
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:pushgate-local-deploy:01RUN',
};

function target(project: string, fields: Partial<TargetRecord>): TargetRecord {
  return {
    runId: '01RUN',
    repo: 'acme/infra',
    project,
    environment: 'prod',
    sha: SHA,
    status: 'no_changes',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

describe('driftOutcomes', () => {
  const run = { status: 'planned' } as RunRecord;

  it('reads drifted, its summary and since from the targets', () => {
    const outcomes = driftOutcomes(
      check,
      run,
      [
        target('web', { status: 'planned', drifted: true, summary: ONE_CHANGE, driftSince: '2026-01-01T01:00:00Z' }),
        target('api', { status: 'no_changes', drifted: false, summary: CLEAN }),
      ],
      formatDriftSummary,
    );
    expect(
      outcomes.map(({ project, environment, drifted, summary }) => ({ project, environment, drifted, summary })),
    ).toEqual([
      { project: 'api', environment: 'prod', drifted: false, summary: null },
      { project: 'web', environment: 'prod', drifted: true, summary: '~1 change' },
    ]);
    expect(outcomes[1]?.since).toBe('2026-01-01T01:00:00Z');
  });

  it('marks a drift that remediate applied again as repaired', () => {
    const [web] = driftOutcomes(
      { ...check, projects: ['web'] },
      { status: 'succeeded' } as RunRecord,
      [target('web', { status: 'succeeded', drifted: true, summary: ONE_CHANGE })],
      formatDriftSummary,
    );
    expect(web).toMatchObject({ drifted: true, repaired: true, summary: '~1 change' });
  });

  it('cannot tell for a failed target, or one the run never got to', () => {
    const outcomes = driftOutcomes(
      check,
      { status: 'skipped', reason: 'deployed moved on' } as RunRecord,
      [target('web', { status: 'failed', reason: 'plan: the provider is not reachable' })],
      formatDriftSummary,
    );
    expect(outcomes.map((o) => [o.project, o.drifted, o.failed])).toEqual([
      ['api', null, 'skipped: deployed moved on'],
      ['web', null, 'failed: plan: the provider is not reachable'],
    ]);
  });
});

describe('describeOutcomes', () => {
  const base = { repo: 'acme/infra', runId: '01RUN', sha: SHA, environment: 'prod' };
  it('prints per target drifted or not, the summary and since when, and what to do', () => {
    const outcomes: DriftOutcome[] = [
      { ...base, project: 'web', drifted: true, summary: '~1 change', since: '2026-01-01T01:00:00Z' },
      { ...base, project: 'api', drifted: false, summary: null },
      { ...base, project: 'dns', drifted: null, summary: null, failed: 'failed: plan failed' },
    ];
    const text = describeOutcomes(outcomes).join('\n');
    expect(text).toContain('acme/infra');
    expect(text).toContain('prod  web  drifted since 2026-01-01T01:00:00Z: ~1 change');
    expect(text).toContain('prod  api  no drift (runs aaaaaaa as deployed)');
    expect(text).toContain('prod  dns  check failed (failed: plan failed): pushgate run 01RUN');
    expect(text).toContain('remediate: true');
  });
});

describe('describeDrift (pushgate status)', () => {
  it('says since when and what drifted, and the command that checks again', () => {
    expect(
      describeDrift({
        environment: 'prod',
        drift: {
          drifted: true,
          summary: ONE_CHANGE,
          since: '2026-01-01T01:00:00.000Z',
          runId: '01RUN',
          checkedAt: '2026-01-01T02:00:00.000Z',
        },
      }),
    ).toBe('drifted since 2026-01-01T01:00:00.000Z: ~1 change (pushgate drift --env prod)');
    expect(
      describeDrift({ environment: 'prod', drift: { drifted: false, runId: '01RUN', checkedAt: '2026-01-01' } }),
    ).toBeUndefined();
    expect(describeDrift({ environment: 'prod' })).toBeUndefined();
  });
});

describe('pushgate drift: usage', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  async function run(args: string[], env: Record<string, string | undefined> = {}) {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    process.exitCode = undefined;
    try {
      await main(['node', 'pushgate', 'drift', ...args]);
    } finally {
      vi.restoreAllMocks();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return { code, stderr };
  }

  it('asks which repository without --repo, $PUSHGATE_REPO or --all (exit 2)', async () => {
    const result = await run([], { PUSHGATE_REPO: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('which repository? Pass --repo (or set PUSHGATE_REPO), or --all');
    expect(result.stderr).toContain('usage: pushgate drift');
  });

  it('refuses --repo with --all, and names that are not names (exit 2)', async () => {
    const both = await run(['--repo', 'acme/infra', '--all']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--repo checks one repository, --all every one: give one of them');
    // $PUSHGATE_REPO is only a default: --all goes past it (and on to the next check, the table).
    const all = await run(['--all'], { PUSHGATE_REPO: 'acme/infra', PUSHGATE_TABLE: undefined });
    expect(all.code).toBe(2);
    expect(all.stderr).toContain('which table?');
    const env = await run(['--repo', 'acme/infra', '--env', 'Not An Env']);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('"Not An Env" is not an environment name');
    const repo = await run(['--repo', 'nope']);
    expect(repo.code).toBe(2);
    expect(repo.stderr).toContain('expected owner/name');
  });

  it('needs the table to follow the checks (exit 2), before it starts anything', async () => {
    const result = await run(['--repo', 'acme/infra'], { PUSHGATE_TABLE: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('which table?');
  });
});
