import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPushPayload, ZERO_SHA } from '../../../local/git/push-payload.ts';
import { sendWebhook } from '../../../local/git/send-webhook.ts';
import { startHarness, terraformConfig, type Harness } from '../../helpers/stack-harness.ts';

// The trust model, attacked through the local stack with real git pushes and signed webhooks (issue 8).
// Each scenario was first written here as a failing test: what reaches an environment comes from
// reviewed configuration (the default branch's pushgate.yml and the operator's policy), and an
// environment always ends at the commit its branch points to.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

const tf = (text = 'a') => ({ 'infra/network/main.tf': `resource "null_resource" "${text}" {}\n` });

/** Applies the terraform stand-in logged for `repo`'s builds, in order (`terraform apply … plan.bin`). */
async function applies(): Promise<number> {
  return (await h.terraformLog()).filter((line) => /^terraform apply /.test(line)).length;
}

describe('trust: only reviewed configuration decides a deploy', () => {
  it("a branch's own pushgate.yml cannot map itself to an environment: it deploys nothing, with the reason", async () => {
    const repo = await h.repository('attacker', {
      'pushgate.yml': terraformConfig({ environments: { staging: {}, prod: { after: 'staging' } } }),
      ...tf(),
    });
    await repo.deploy({}, 'reviewed main');
    const before = await applies();

    const evil = [
      'version: 1',
      'environments:',
      '  prod: { branch: attacker }',
      'projects:',
      '  - name: network',
      '    dir: infra/network',
      '    engine: command',
      '    environments: [prod]',
      '    command: { plan: "echo planned > plan.out", apply: "echo pwned", planFile: plan.out }',
      '',
    ].join('\n');
    const { runIds } = await repo.push({ 'pushgate.yml': evil, ...tf('evil') }, 'attack', 'attacker');
    expect(runIds).toHaveLength(1);
    const result = await repo.finished(runIds[0]!);

    expect(result.states).not.toContain('Apply');
    expect(result.states).not.toContain('Plan');
    expect(result.run.status).toBe('skipped');
    expect(result.run.reason).toMatch(/main's pushgate\.yml/);
    expect(result.run.reason).toMatch(/attacker/);
    expect(await applies()).toBe(before);
    expect((await h.store.getCurrent('local/attacker', 'prod')).map((d) => d.sha)).not.toContain(result.run.sha);
  });

  it('an environment the platform policy does not allow from a branch is refused, with the reason', async () => {
    // The default branch's own pushgate.yml maps `qa` to release/*, but the policy lets qa deploy only from main.
    const config = [
      'version: 1',
      'environments:',
      '  staging: { branch: main }',
      '  qa: { branch: "release/*" }',
      'projects:',
      '  - { name: network, dir: infra/network, engine: terraform, environments: [staging, qa] }',
      '',
    ].join('\n');
    const repo = await h.repository('policyqa', { 'pushgate.yml': config, ...tf() });
    await repo.deploy({}, 'main');
    const { runIds } = await repo.push(tf('release'), 'release', 'release/1');
    const result = await repo.finished(runIds[0]!);
    expect(result.states).not.toContain('Apply');
    expect(result.run.status).toBe('skipped');
    expect(result.run.reason).toMatch(/policy/);
    expect(result.run.reason).toMatch(/qa/);
  });
});

describe('trust: an environment ends at the commit its branch points to', () => {
  it('a replayed old push (new delivery id) never applies an older commit over a newer one', async () => {
    const repo = await h.repository('replay', { 'pushgate.yml': terraformConfig(), ...tf() });
    const first = await repo.deploy({}, 'first');
    const second = await repo.deploy(tf('b'), 'second');
    expect(second.run.status).toBe('succeeded');

    // The attacker captured the first push's body and re-sends it, correctly signed, as a new delivery.
    const payload = await buildPushPayload({
      bareRepo: repo.repo.bare,
      repoFullName: 'local/replay',
      ref: 'refs/heads/main',
      before: ZERO_SHA,
      after: first.run.sha,
      cloneUrl: repo.repo.bare,
    });
    const answer = await sendWebhook({ url: h.stack.webhookUrl, secret: h.stack.secret, event: 'push', payload });
    expect(answer.status).toBe(202);
    const replayed = await repo.finished((answer.body as { runId: string }).runId);

    expect(replayed.states).not.toContain('Apply');
    expect(['superseded', 'skipped']).toContain(replayed.run.status);
    expect(`${replayed.run.reason} ${replayed.targets.map((t) => t.reason).join(' ')}`).toMatch(/points to|head/);
    expect(await h.store.getCurrent('local/replay', 'staging')).toMatchObject([{ sha: second.run.sha }]);
  });

  it('a force-push of main back to an older commit deploys that commit, recorded as a rollback', async () => {
    const repo = await h.repository('rollback', { 'pushgate.yml': terraformConfig(), ...tf() });
    const first = await repo.deploy({}, 'first');
    const second = await repo.deploy(tf('b'), 'second');
    expect(second.run.status).toBe('succeeded');

    const { stdout, stderr } = await repo.repo.push('--force', 'origin', `${first.run.sha}:refs/heads/main`);
    const runIds = [...`${stdout}${stderr}`.matchAll(/run (\S+) started/g)].map((m) => m[1]!);
    expect(runIds).toHaveLength(1);
    const rolledBack = await repo.finished(runIds[0]!);

    expect(rolledBack.run.status).toBe('succeeded');
    expect(rolledBack.states).toContain('Apply');
    const [current] = await h.store.getCurrent('local/rollback', 'staging');
    expect(current).toMatchObject({ sha: first.run.sha, runId: rolledBack.run.runId, rollbackOf: second.run.sha });
  });

  it('a change pushed with a broken pushgate.yml is deployed once the config is fixed', async () => {
    const config = terraformConfig();
    const repo = await h.repository('lost', { 'pushgate.yml': config, ...tf() });
    await repo.deploy({}, 'first');

    const broken = await repo.deploy({ 'pushgate.yml': `${config}oops: true\n`, ...tf('changed') }, 'change + typo');
    expect(broken.run.status).toBe('failed');

    const fixed = await repo.deploy({ 'pushgate.yml': config }, 'fix the typo only');
    expect(fixed.run.status).toBe('succeeded');
    expect(fixed.targets).toMatchObject([{ project: 'network', environment: 'staging', status: 'succeeded' }]);
    expect(await h.store.getCurrent('local/lost', 'staging')).toMatchObject([{ sha: fixed.run.sha }]);
  });

  it('a failed apply is retried by the next run of that target, even when the next push changes other files', async () => {
    const failing = terraformConfig({ environments: { staging: { variables: { FAKE_TERRAFORM_FAIL: 'apply' } } } });
    const repo = await h.repository('retry', { 'pushgate.yml': terraformConfig(), ...tf() });
    await repo.deploy({}, 'first');
    const failed = await repo.deploy({ 'pushgate.yml': failing, ...tf('b') }, 'fails to apply');
    expect(failed.run.status).toBe('failed');
    // The fix is a config change; the terraform change of the failed run must still be applied.
    const next = await repo.deploy({ 'pushgate.yml': terraformConfig() }, 'stop failing');
    expect(next.run.status).toBe('succeeded');
    expect(await h.store.getCurrent('local/retry', 'staging')).toMatchObject([{ sha: next.run.sha }]);
  });

  it('a change to pushgate.yml re-plans the projects and environments whose definition changed, and only those', async () => {
    const two = terraformConfig({ environments: { staging: {}, prod: { after: 'staging' } } });
    const repo = await h.repository('configonly', { 'pushgate.yml': two, ...tf() });
    const first = await repo.deploy({}, 'first');
    expect(first.targets).toHaveLength(2);

    const changed = terraformConfig({
      environments: { staging: { variables: { TF_VAR_size: 'large' } }, prod: { after: 'staging' } },
    });
    const result = await repo.deploy({ 'pushgate.yml': changed }, 'staging gets a variable');
    expect(result.run.status).toBe('succeeded');
    expect(result.targets.map((t) => `${t.project}/${t.environment}`)).toEqual(['network/staging']);
  });
});
