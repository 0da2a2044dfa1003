import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { startScenario, type DevSession } from './support/dev-session.ts';
import { commandRepo, deployedVersion, ledgerLines } from './support/command-repo.ts';
import { pushOneRun } from './support/work-clone.ts';

// The workflow's scenarios through the whole path, driven only from outside a `pushgate dev`
// process: `git push` to its remote (the post-receive hook sends the signed webhook), then the real
// AWS SDK clients on the printed endpoints to read DynamoDB and Step Functions. Only the default
// branch's pushgate.yml deploys (a branch's own can only plan), so every scenario has a `pushgate dev`
// process and a repository of its own and pushes `main`: they share no lock and run at once.

/** A scenario starts its own `pushgate dev` (several at once on a small machine), then runs. */
const SCENARIO_TIMEOUT_MS = 90_000;

/** Index of the first event entering `state` for `environment`. */
function entered(history: HistoryEvent[], state: string, environment: string): number {
  return history.findIndex(
    (event) =>
      event.stateEnteredEventDetails?.name === state &&
      (event.stateEnteredEventDetails.input ?? '').includes(`"environment":"${environment}"`),
  );
}

function lockOf({ aws, dev }: DevSession, project: string, environment: string) {
  return aws.getLock({ repo: dev.info.repo, project, environment });
}

describe.concurrent('pushgate dev, driven from outside: deploy scenarios', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it('happy path: staging, then prod, each applied once, recorded and unlocked; Slack hears of it', async (context) => {
    const session = await startScenario('happy', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    const sha = await repo.commit(
      commandRepo('main', { environments: ['happy-staging', 'happy-prod'], ordered: true }),
      'first',
    );
    const result = await aws.finished(await pushOneRun(repo, 'main'));

    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.run).toMatchObject({ status: 'succeeded', repo: 'local/infra', kind: 'push', branch: 'main', sha });
    expect(result.targets.map((t) => `${t.environment}:${t.status}`).sort()).toEqual([
      'happy-prod:succeeded',
      'happy-staging:succeeded',
    ]);
    for (const target of result.targets) expect(target.planSha256).toMatch(/^[0-9a-f]{64}$/);
    for (const state of ['Validate', 'AcquireLock', 'Plan', 'Summarize', 'Apply', 'ReleaseLock', 'Record', 'Notify']) {
      expect(result.states).toContain(state);
    }
    // prod comes `after: staging`: its lock is asked for only once staging was applied and released.
    const stagingReleased = entered(result.history, 'ReleaseLock', 'happy-staging');
    expect(entered(result.history, 'Apply', 'happy-staging')).toBeGreaterThan(-1);
    expect(stagingReleased).toBeGreaterThan(entered(result.history, 'Apply', 'happy-staging'));
    expect(entered(result.history, 'AcquireLock', 'happy-prod')).toBeGreaterThan(stagingReleased);
    expect(entered(result.history, 'Plan', 'happy-prod')).toBeGreaterThan(stagingReleased);

    for (const environment of ['happy-staging', 'happy-prod']) {
      expect(await deployedVersion(dev.info.deployRoot, environment)).toBe('1\n');
      expect(await ledgerLines(dev.info.deployRoot, environment)).toEqual(['begin 1', 'end 1']);
      expect(await aws.getCurrent(environment, 'app')).toMatchObject({ sha, runId: result.run.runId });
      expect(await aws.listDeployments(environment)).toMatchObject([{ sha, runId: result.run.runId, project: 'app' }]);
      const lock = await lockOf(session, 'app', environment);
      expect(lock?.owner).toBeUndefined();
    }
    expect(result.run.notifications?.slack).toMatchObject({ ok: true });
    await aws.waitFor('the Slack message on stderr', async () =>
      /slack: local\/infra: deploy of main .*succeeded/.test(dev.stderr()) ? true : undefined,
    );
  });

  it('no changes: an empty plan never applies and the run ends no_changes', async (context) => {
    const session = await startScenario('nochange', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    await repo.commit({ ...commandRepo('main', { environments: ['nochange-staging'] }), 'app/empty-plan': '' }, 'x');
    const result = await aws.finished(await pushOneRun(repo, 'main'));

    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.run.status).toBe('no_changes');
    expect(result.targets).toMatchObject([{ status: 'no_changes', summary: { hasChanges: false } }]);
    expect(result.states).toContain('Plan');
    expect(result.states).not.toContain('Apply');
    expect(await ledgerLines(dev.info.deployRoot, 'nochange-staging')).toEqual([]);
    expect(await aws.getCurrent('nochange-staging', 'app')).toBeUndefined();
    expect((await lockOf(session, 'app', 'nochange-staging'))?.owner).toBeUndefined();
  });

  it('plan fails: the target and the run fail with the reason, the lock is released', async (context) => {
    const session = await startScenario('planfail', context);
    const { aws } = session;
    const repo = await session.clone();
    await repo.commit({ ...commandRepo('main', { environments: ['planfail-staging'] }), 'app/fail-plan': '' }, 'x');
    const result = await aws.finished(await pushOneRun(repo, 'main'));

    expect(result.execution.status).toBe('FAILED');
    expect(result.states).toContain('TargetFailed');
    expect(result.states).not.toContain('Apply');
    expect(result.targets).toMatchObject([{ status: 'failed', reason: expect.stringMatching(/BUILD/) }]);
    expect(result.run).toMatchObject({ status: 'failed', reason: expect.stringContaining('app/planfail-staging') });
    const lock = await lockOf(session, 'app', 'planfail-staging');
    expect(lock).toBeDefined();
    expect(lock?.owner).toBeUndefined();
  });

  it('apply fails: the plan was recorded, nothing is deployed on record, the lock is released', async (context) => {
    const session = await startScenario('applyfail', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    await repo.commit({ ...commandRepo('main', { environments: ['applyfail-staging'] }), 'app/fail-apply': '' }, 'x');
    const result = await aws.finished(await pushOneRun(repo, 'main'));

    expect(result.execution.status).toBe('FAILED');
    expect(result.states).toEqual(expect.arrayContaining(['Plan', 'Summarize', 'Apply', 'TargetFailed']));
    expect(result.targets).toMatchObject([{ status: 'failed', planSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(result.run).toMatchObject({ status: 'failed', reason: expect.stringContaining('app/applyfail-staging') });
    expect(await aws.getCurrent('applyfail-staging', 'app')).toBeUndefined();
    expect(await aws.listDeployments('applyfail-staging')).toEqual([]);
    expect(await deployedVersion(dev.info.deployRoot, 'applyfail-staging')).toBeUndefined();
    expect((await lockOf(session, 'app', 'applyfail-staging'))?.owner).toBeUndefined();
  });

  it('invalid config: the run fails listing every problem, plans nothing, and Slack hears the reason', async (context) => {
    const session = await startScenario('badconfig', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    await repo.commit(
      {
        'pushgate.yml': [
          'version: 1',
          'environments:',
          '  badconfig-staging: { branch: main }',
          'projects:',
          '  - name: app',
          '    dir: app',
          '    engine: pulumi',
          '    environments: [badconfig-staging, qa]',
          '',
        ].join('\n'),
        'app/version': '1\n',
      },
      'broken config',
    );
    const result = await aws.finished(await pushOneRun(repo, 'main'));

    expect(result.execution.status).toBe('FAILED');
    expect(result.states).toEqual(expect.arrayContaining(['Validate', 'RecordFailure', 'Notify']));
    expect(result.states).not.toContain('Plan');
    expect(result.targets).toEqual([]);
    expect(result.run.status).toBe('failed');
    expect(result.run.reason).toContain('projects[0].engine');
    expect(result.run.reason).toContain('qa');
    expect(result.run.reason).not.toMatch(/at .*\.ts:\d+/);
    await aws.waitFor('the failure on Slack', async () =>
      /slack: local\/infra: deploy of main .*failed/.test(dev.stderr()) ? true : undefined,
    );
  });

  it('nothing changed: a push that touches no watched path is skipped with the reason', async (context) => {
    const session = await startScenario('unwatched', context);
    const { aws } = session;
    const repo = await session.clone();
    await repo.commit(commandRepo('main', { environments: ['unwatched-staging'] }), 'first');
    const first = await aws.finished(await pushOneRun(repo, 'main'));
    expect(first.run.status).toBe('succeeded');

    await repo.commit({ 'README.md': '# docs only\n' }, 'docs');
    const result = await aws.finished(await pushOneRun(repo, 'main'));
    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.run).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/no project changed/) });
    expect(result.targets).toEqual([]);
    expect(result.states).not.toContain('Plan');
    expect(await aws.listDeployments('unwatched-staging')).toHaveLength(1);
  });

  it('one of two targets failing does not stop the other', async (context) => {
    const session = await startScenario('two', context);
    const { dev, aws } = session;
    const repo = await session.clone();
    await repo.commit(
      {
        ...commandRepo('main', { environments: ['two-staging'], projects: ['good', 'broken'] }),
        'broken/fail-plan': '',
      },
      'first',
    );
    const result = await aws.finished(await pushOneRun(repo, 'main'));

    expect(result.execution.status).toBe('FAILED');
    expect(Object.fromEntries(result.targets.map((t) => [t.project, t.status]))).toEqual({
      good: 'succeeded',
      broken: 'failed',
    });
    expect(result.run).toMatchObject({ status: 'failed', reason: expect.stringContaining('broken/two-staging') });
    expect(await deployedVersion(dev.info.deployRoot, 'two-staging', 'good')).toBe('1\n');
    expect(await aws.getCurrent('two-staging', 'good')).toMatchObject({ runId: result.run.runId });
    expect(await aws.getCurrent('two-staging', 'broken')).toBeUndefined();
    expect((await lockOf(session, 'good', 'two-staging'))?.owner).toBeUndefined();
    expect((await lockOf(session, 'broken', 'two-staging'))?.owner).toBeUndefined();
  });
});
