import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestPayload } from '../../../local/git/pull-request-payload.ts';
import { sendWebhook } from '../../../local/git/send-webhook.ts';
import { startHarness, terraformConfig, type Harness } from '../../helpers/stack-harness.ts';

// The deploy state machine (state-machines/deploy.asl.yml, unchanged) on the local stack: DynamoDB on
// dynalite, S3 on s3rver, CodeBuild running the generated buildspecs with bash, the handlers
// in-process behind the Lambda endpoint. terraform is the fixture stand-in (test/fixtures/bin),
// which replays real `terraform show -json` plans from test/fixtures/terraform-plans.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

const tf = { 'infra/network/main.tf': 'resource "null_resource" "a" {}\n' };

describe('deploy workflow', () => {
  it('happy path: validate, lock, plan, summarize, apply, release, record, notify', async () => {
    const repo = await h.repository('happy', { 'pushgate.yml': terraformConfig(), ...tf });
    const result = await repo.deploy({}, 'first');

    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.run).toMatchObject({ status: 'succeeded', repo: 'local/happy', kind: 'push' });
    expect(result.targets).toHaveLength(1);
    expect(result.targets[0]).toMatchObject({
      project: 'network',
      environment: 'staging',
      status: 'succeeded',
      summary: { add: 7, change: 0, destroy: 0, hasChanges: true },
      planSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    for (const state of ['Validate', 'AcquireLock', 'Plan', 'Summarize', 'Apply', 'ReleaseLock', 'Record', 'Notify']) {
      expect(result.states).toContain(state);
    }
    expect(result.states.indexOf('Plan')).toBeLessThan(result.states.indexOf('Apply'));
    // Applied exactly the saved plan file, in the right workspace.
    const log = await h.terraformLog();
    expect(log.some((line) => /^terraform apply .*plan\.bin$/.test(line))).toBe(true);
    expect(log.some((line) => line.includes('workspace select -or-create staging'))).toBe(true);
    // Nothing left held, and the deployment is on record.
    expect(await h.store.getLock({ repo: 'local/happy', project: 'network', environment: 'staging' })).toBeUndefined();
    expect(await h.store.getCurrent('local/happy', 'staging')).toMatchObject([
      { project: 'network', runId: result.run.runId, sha: result.run.sha },
    ]);
    expect((await h.store.listDeployments('local/happy', 'staging'))[0]).toMatchObject({ runId: result.run.runId });
    expect(result.run.notifications?.slack).toMatchObject({ ok: true });
    expect(h.stack.slack.messages.some((m) => JSON.stringify(m).includes('local/happy'))).toBe(true);
  });

  it('no changes: Apply never runs and the target ends no_changes', async () => {
    const config = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_PLAN: 'no_changes' } } } });
    const repo = await h.repository('nochange', { 'pushgate.yml': config, ...tf });
    const result = await repo.deploy({}, 'first');
    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.targets[0]).toMatchObject({ status: 'no_changes', summary: { hasChanges: false } });
    expect(result.states).not.toContain('Apply');
    expect(result.run.status).toBe('no_changes');
    expect(
      await h.store.getLock({ repo: 'local/nochange', project: 'network', environment: 'staging' }),
    ).toBeUndefined();
  });

  it('plan fails: the target and run fail with the reason, the lock is released', async () => {
    const config = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_FAIL: 'plan' } } } });
    const repo = await h.repository('planfail', { 'pushgate.yml': config, ...tf });
    const result = await repo.deploy({}, 'first');
    expect(result.execution.status).toBe('FAILED');
    expect(result.states).toContain('TargetFailed');
    expect(result.states).not.toContain('Apply');
    expect(result.targets[0]!.status).toBe('failed');
    expect(result.targets[0]!.reason).toMatch(/failed in phase BUILD/);
    expect(result.run).toMatchObject({ status: 'failed', reason: expect.stringContaining('network/staging') });
    expect(
      await h.store.getLock({ repo: 'local/planfail', project: 'network', environment: 'staging' }),
    ).toBeUndefined();
    expect(h.stack.slack.messages.some((m) => JSON.stringify(m).includes('local/planfail'))).toBe(true);
  });

  it('apply fails: the target fails after its plan was recorded, the lock is released', async () => {
    const config = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_FAIL: 'apply' } } } });
    const repo = await h.repository('applyfail', { 'pushgate.yml': config, ...tf });
    const result = await repo.deploy({}, 'first');
    expect(result.execution.status).toBe('FAILED');
    expect(result.states).toContain('Apply');
    expect(result.targets[0]).toMatchObject({ status: 'failed', summary: { add: 7 } });
    expect(await h.store.getCurrent('local/applyfail', 'staging')).toEqual([]);
    expect(
      await h.store.getLock({ repo: 'local/applyfail', project: 'network', environment: 'staging' }),
    ).toBeUndefined();
  });

  it('invalid config: the run fails listing every problem, and Slack hears about it', async () => {
    const repo = await h.repository('badconfig', {
      'pushgate.yml':
        'version: 1\nenvironments:\n  staging: { branch: main }\nprojects:\n  - name: net\n    dir: net\n    engine: pulumi\n    environments: [staging, qa]\n',
    });
    const result = await repo.deploy({}, 'broken');
    expect(result.execution.status).toBe('FAILED');
    expect(result.states).toEqual(expect.arrayContaining(['Validate', 'RecordFailure', 'Notify']));
    expect(result.states).not.toContain('Plan');
    expect(result.run.status).toBe('failed');
    expect(result.run.reason).toContain('projects[0].engine');
    expect(result.run.reason).toContain('qa');
    expect(result.run.reason).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
    const message = JSON.stringify(h.stack.slack.messages.filter((m) => JSON.stringify(m).includes('local/badconfig')));
    expect(message).toContain('projects[0].engine');
  });

  it('nothing changed: a push that touches no watched path is skipped with the reason', async () => {
    const repo = await h.repository('unwatched', { 'pushgate.yml': terraformConfig(), ...tf });
    await repo.deploy({}, 'first');
    const result = await repo.deploy({ 'README.md': '# docs\n' }, 'docs only');
    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.run.status).toBe('skipped');
    expect(result.run.reason).toMatch(/no project changed/);
    expect(result.targets).toEqual([]);
  });

  it('one of two targets failing does not stop the other', async () => {
    const repo = await h.repository('twotargets', {
      'pushgate.yml': `version: 1
environments:
  staging: { branch: main }
projects:
  - name: network
    dir: infra/network
    engine: terraform
    environments: [staging]
  - name: broken
    dir: infra/broken
    engine: command
    environments: [staging]
    command:
      plan: echo "no such provider" >&2; exit 3
      planFile: plan.out
      apply: 'true'
`,
      ...tf,
      'infra/broken/README': 'x\n',
    });
    const result = await repo.deploy({}, 'first');
    expect(result.execution.status).toBe('FAILED');
    const byProject = Object.fromEntries(result.targets.map((t) => [t.project, t.status]));
    expect(byProject).toEqual({ network: 'succeeded', broken: 'failed' });
    expect(result.run.reason).toContain('broken/staging');
  });

  it('staging then prod: prod starts only after staging succeeded, and is skipped when staging fails', async () => {
    const environments = { staging: {}, prod: { after: 'staging' } };
    const repo = await h.repository('ordered', { 'pushgate.yml': terraformConfig({ environments }), ...tf });
    const ok = await repo.deploy({}, 'first');
    expect(ok.targets.map((t) => `${t.environment}:${t.status}`).sort()).toEqual([
      'prod:succeeded',
      'staging:succeeded',
    ]);
    const entered = (state: string, env: string) =>
      ok.history.findIndex(
        (e) =>
          e.stateEnteredEventDetails?.name === state &&
          (e.stateEnteredEventDetails.input ?? '').includes(`"environment":"${env}"`),
      );
    const exited = ok.history.findIndex(
      (e) =>
        e.stateExitedEventDetails?.name === 'ReleaseLock' &&
        (e.stateExitedEventDetails.output ?? '').includes('succeeded'),
    );
    expect(entered('Plan', 'staging')).toBeGreaterThan(-1);
    expect(exited).toBeLessThan(entered('AcquireLock', 'prod'));

    const failing = await h.repository('ordered-fail', {
      'pushgate.yml': terraformConfig({
        environments: { staging: { variables: { FAKE_TERRAFORM_FAIL: 'apply' } }, prod: { after: 'staging' } },
      }),
      ...tf,
    });
    const bad = await failing.deploy({}, 'first');
    const status = Object.fromEntries(bad.targets.map((t) => [t.environment, t]));
    expect(status.staging!.status).toBe('failed');
    expect(status.prod).toMatchObject({ status: 'skipped', reason: expect.stringContaining('staging ended failed') });
    expect(bad.run.status).toBe('failed');
  });

  it('a pull request plans the base branch environments only: no lock, never Apply', async () => {
    const environments = { staging: {}, prod: { after: 'staging' } };
    const repo = await h.repository('pullrequest', { 'pushgate.yml': terraformConfig({ environments }), ...tf });
    await repo.deploy({}, 'first');
    const base = await repo.repo.sha();
    const branch = await repo.push(
      { 'infra/network/main.tf': 'resource "null_resource" "b" {}\n' },
      'change',
      'feature/x',
    );
    expect(branch.runIds).toHaveLength(1); // recorded as skipped: no environment is mapped to feature/x
    const answer = await sendWebhook({
      url: h.stack.webhookUrl,
      secret: h.stack.secret,
      event: 'pull_request',
      payload: pullRequestPayload({
        repo: 'local/pullrequest',
        headRef: 'feature/x',
        headSha: branch.sha,
        baseRef: 'main',
        baseSha: base,
      }),
    });
    expect(answer.status).toBe(202);
    const result = await repo.finished((answer.body as { runId: string }).runId);
    expect(result.run).toMatchObject({ kind: 'plan', status: 'succeeded', sha: branch.sha });
    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.states).not.toContain('Apply');
    expect(result.targets.map((t) => `${t.environment}:${t.status}`).sort()).toEqual([
      'prod:planned',
      'staging:planned',
    ]);
    for (const exited of result.history.filter((e) => e.stateExitedEventDetails?.name === 'AcquireLock')) {
      expect(JSON.parse(exited.stateExitedEventDetails!.output!).lock).toMatchObject({ locked: false });
    }
    expect(await h.store.getCurrent('local/pullrequest', 'staging')).toMatchObject([{ sha: base }]);
  });

  it('Slack down: the run still succeeds and the failed notification is recorded', async () => {
    const repo = await h.repository('slackdown', { 'pushgate.yml': terraformConfig(), ...tf });
    h.stack.slack.setDown(true);
    try {
      const result = await repo.deploy({}, 'first');
      expect(result.execution.status).toBe('SUCCEEDED');
      expect(result.run.status).toBe('succeeded');
      expect(result.run.notifications?.slack).toMatchObject({ ok: false, attempts: 3 });
    } finally {
      h.stack.slack.setDown(false);
    }
  });
});
