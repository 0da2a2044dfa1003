import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';
import { decideTargets } from '../../../functions/lib/targets/decide-targets.ts';
import type { RunRequest, ValidatedRun } from '../../../functions/lib/workflow/contract.ts';
import { run as pushRun, validConfig } from '../engines/engine-fixtures.ts';
import { anyBranchPolicy } from '../../helpers/policy.ts';
import { parsePolicy } from '../../../functions/lib/policy/read-policy.ts';

const config = validConfig();
const sourceLocation = 'https://github.com/acme/infra.git';

const decide = (run: RunRequest, changedFiles: string[] | undefined = undefined) =>
  decideTargets({ run, config, changedFiles, sourceLocation, policy: anyBranchPolicy, defaultBranch: 'main' });

/** `project/environment` of each target, wave by wave. */
const layout = (result: ValidatedRun) =>
  result.waves.map((wave) => wave.map((target) => `${target.project}/${target.environment}`));

const pullRequest = { number: 7, baseRef: 'main', headRef: 'feature/x', fromFork: false };
const prRun: RunRequest = { ...pushRun, kind: 'plan', ref: 'refs/heads/feature/x', branch: 'main', pullRequest };
const commentRun = (command: string, fromFork = false): RunRequest => ({
  ...prRun,
  kind: 'comment',
  pullRequest: { ...pullRequest, fromFork },
  comment: { id: 1, command, args: [], author: 'octocat' },
});

describe('decideTargets', () => {
  it('a push to main deploys every project, staging in the first wave and prod after it', () => {
    const result = decide(pushRun);
    expect(result.skipped).toBeUndefined();
    expect(layout(result)).toEqual([
      ['network/staging', 'app/staging'],
      ['network/prod', 'app/prod', 'dns/prod'],
    ]);
    expect(result.targetCount).toBe(5);
    expect(result.settings).toEqual({
      planOnly: false,
      concurrency: 'queue',
      leaseSeconds: 14400,
      lockWaitMinutes: 30,
      sourceLocation,
      queuePosition: `${pushRun.receivedAt}#${pushRun.runId}`,
      parallelism: 20,
    });
    expect(result.run).toBe(pushRun);
  });

  it('fills each target from the project and environment', () => {
    const [[, appStaging], [networkProd, , dnsProd]] = decide(pushRun).waves as [unknown[], unknown[]];
    expect(networkProd).toMatchObject({
      project: 'network',
      environment: 'prod',
      engine: 'terraform',
      dir: 'infra/network',
      after: ['staging'],
      approval: { required: true, approvers: ['octocat'] },
      artifactPrefix: `runs/${pushRun.runId}/network/prod`,
    });
    expect(appStaging).toMatchObject({
      engine: 'cloudformation',
      after: [],
      approval: { required: false, approvers: [] },
    });
    // dns deploys only to prod: nothing of its own to wait for.
    expect(dnsProd).toMatchObject({ engine: 'command', after: [] });
    for (const target of decide(pushRun).waves.flat()) {
      expect(target.buildspec.plan).toContain('version: 0.2');
      expect(target.buildspec.apply).toContain('plan artifact changed since it was reviewed');
    }
  });

  it('takes only the projects whose watch globs match a changed file', () => {
    expect(layout(decide(pushRun, ['infra/app/template.yaml', 'README.md']))).toEqual([['app/staging'], ['app/prod']]);
    expect(layout(decide(pushRun, ['modules/vpc/.terraform.lock.hcl']))).toEqual([
      ['network/staging'],
      ['network/prod'],
    ]);
    expect(layout(decide(pushRun, ['dns/zone.txt']))).toEqual([['dns/prod']]);
  });

  it('skips a run where no watched file changed, and says how many files did', () => {
    expect(decide(pushRun, ['README.md', 'docs/x.md'])).toMatchObject({
      waves: [],
      targetCount: 0,
      skipped: 'no project changed: 2 files changed, none watched',
    });
    expect(decide(pushRun, ['README.md']).skipped).toBe('no project changed: 1 file changed, none watched');
    expect(decide(pushRun, []).skipped).toBe('no project changed: no files changed');
  });

  it('skips a branch no environment maps, and matches branch globs', () => {
    const feature = { ...pushRun, ref: 'refs/heads/feature/x', branch: 'feature/x' };
    expect(decide(feature)).toMatchObject({
      waves: [],
      skipped:
        "no environment is mapped to branch feature/x in pushgate.yml (a branch's own pushgate.yml can only plan: merge it to main to change what deploys)",
    });
    // release/* maps prod only; its after (staging) is not in this run, so prod goes first.
    const release = decide({ ...pushRun, branch: 'release/1.2' });
    expect(layout(release)).toEqual([['network/prod', 'app/prod', 'dns/prod']]);
    expect(release.waves[0]!.every((target) => target.after.length === 0)).toBe(true);
  });

  it('skips when the changed projects deploy to none of the branch environments', () => {
    expect(decide({ ...pushRun, branch: 'release/1.2' }, ['infra/app/template.yaml']).skipped).toBeUndefined();
    const stagingOnly = parseConfig(`version: 1
environments:
  staging: { branch: main }
  prod: { branch: release }
projects:
  - { name: net, dir: net, engine: terraform, environments: [staging] }
`);
    if (!stagingOnly.ok) throw new Error('fixture config is invalid');
    const result = decideTargets({
      run: { ...pushRun, branch: 'release' },
      config: stagingOnly.config,
      changedFiles: ['net/main.tf'],
      sourceLocation,
      policy: anyBranchPolicy,
      defaultBranch: 'main',
    });
    expect(result.skipped).toBe('no project deploys to prod (projects: net)');
  });

  it('a pull request plans the environments of its base branch, and never applies', () => {
    const result = decide(prRun);
    expect(result.settings.planOnly).toBe(true);
    expect(layout(result)).toEqual(layout(decide(pushRun)));
    expect(result.waves.flat().every((target) => target.buildspec.apply === undefined)).toBe(true);
    expect(decide({ ...prRun, pullRequest: { ...pullRequest, baseRef: 'develop' } }).skipped).toBe(
      'no environment is mapped to branch develop in pushgate.yml',
    );
  });

  it('comment commands: plan is plan-only, apply deploys the base branch, others start nothing', () => {
    expect(decide(commentRun('plan')).settings.planOnly).toBe(true);
    expect(decide(commentRun('apply')).skipped).toMatch(/applyBeforeMerge: true; merge to deploy$/);
    const apply = decideTargets({
      run: commentRun('apply'),
      config,
      changedFiles: undefined,
      sourceLocation,
      policy: anyBranchPolicy,
      defaultBranch: 'main',
      baseAllowsApplyBeforeMerge: true,
    });
    expect(apply.settings.planOnly).toBe(false);
    expect(apply.targetCount).toBe(5);
    expect(apply.waves.flat().every((target) => target.buildspec.apply !== undefined)).toBe(true);
    expect(decide(commentRun('apply', true)).skipped).toMatch(
      /^pull request #7 comes from a fork: pushgate never runs a fork's code/,
    );
    expect(decide(commentRun('plan', true)).skipped).toMatch(/comes from a fork/);
    expect(decide({ ...commentRun('plan', true), kind: 'plan', comment: undefined }).skipped).toMatch(
      /comes from a fork/,
    );
    expect(decide(commentRun('approve')).skipped).toBe('"/pushgate approve" does not start a run');
  });

  it('a drift check plans only', () => {
    const result = decide({ ...pushRun, kind: 'drift' });
    expect(result.settings.planOnly).toBe(true);
    expect(result.targetCount).toBe(5);
  });

  it('keeps after order through environments that are not in the run', () => {
    const chain = parseConfig(`version: 1
environments:
  dev: { branch: main }
  staging: { branch: main, after: dev }
  prod: { branch: main, after: staging }
projects:
  - { name: a, dir: a, engine: terraform, environments: [dev, staging, prod] }
  - { name: b, dir: b, engine: terraform, environments: [dev, prod] }
concurrency: supersede
`);
    if (!chain.ok) throw new Error('fixture config is invalid');
    const result = decideTargets({
      run: pushRun,
      config: chain.config,
      changedFiles: undefined,
      sourceLocation,
      policy: anyBranchPolicy,
      defaultBranch: 'main',
      leaseSeconds: 600,
    });
    expect(layout(result)).toEqual([['a/dev', 'b/dev'], ['a/staging'], ['a/prod', 'b/prod']]);
    expect(result.waves[2]!.map((target) => target.after)).toEqual([['staging'], ['dev']]);
    expect(result.settings).toMatchObject({ concurrency: 'supersede', leaseSeconds: 600 });
    expect(result.settings).not.toHaveProperty('lockWaitMinutes');
  });

  it('the platform policy refuses environments and engines, and fails an environment without an apply role', () => {
    const strict = (yaml: string) => ({ policy: parsePolicy(yaml, 'strict'), source: 'strict' });
    const onlyStaging = strict(
      "version: 1\nrepositories:\n  - repos: ['acme/*']\n    engines: [terraform]\n    environments:\n      staging: { applyRole: 'arn:aws:iam::111111111111:role/deploy' }\n",
    );
    const result = decideTargets({
      run: pushRun,
      config,
      changedFiles: undefined,
      sourceLocation,
      policy: onlyStaging,
      defaultBranch: 'main',
    });
    expect(layout(result)).toEqual([['network/staging']]);
    expect(result.waves[0]![0]!.roles).toEqual({ plan: '', apply: 'arn:aws:iam::111111111111:role/deploy' });
    expect(result.waves[0]![0]!.buildspec.apply).toContain('arn:aws:iam::111111111111:role/deploy');

    const noRole = strict("version: 1\nrepositories:\n  - repos: ['acme/*']\n    environments:\n      '*': {}\n");
    expect(() =>
      decideTargets({
        run: pushRun,
        config,
        changedFiles: undefined,
        sourceLocation,
        policy: noRole,
        defaultBranch: 'main',
      }),
    ).toThrow(
      /staging has no apply role: set repositories\[0\]\.environments\.\*\.applyRole in the platform policy \(strict\)/,
    );
    // A plan needs no apply role.
    expect(
      decideTargets({
        run: prRun,
        config,
        changedFiles: undefined,
        sourceLocation,
        policy: noRole,
        defaultBranch: 'main',
      }).skipped,
    ).toBeUndefined();
  });
});

describe('parallelism', () => {
  const withCap = (cap: number | undefined) => {
    const yaml = [
      'version: 1',
      ...(cap === undefined ? [] : [`maxParallelBuilds: ${cap}`]),
      'repositories:',
      "  - repos: ['*/*']",
      '    environments:',
      "      '*': { applyRole: 'arn:aws:iam::111111111111:role/deploy', branches: ['**'] }",
    ].join('\n');
    return { policy: parsePolicy(yaml, 'capped'), source: 'capped' };
  };
  const settingsOf = (parallelism: number | undefined, cap: number | undefined, run: RunRequest = pushRun) =>
    decideTargets({
      run,
      config: { ...config, ...(parallelism === undefined ? {} : { parallelism }) },
      changedFiles: undefined,
      sourceLocation,
      policy: withCap(cap),
      defaultBranch: 'main',
    }).settings.parallelism;

  it("is pushgate.yml's parallelism when under the policy's cap", () => {
    expect(settingsOf(3, 8)).toBe(3);
    expect(settingsOf(8, 8)).toBe(8);
  });

  it("never exceeds the policy's maxParallelBuilds, whatever pushgate.yml asks", () => {
    expect(settingsOf(50, 8)).toBe(8);
  });

  it('is the cap when pushgate.yml sets none, and the cap defaults to 20', () => {
    expect(settingsOf(undefined, 8)).toBe(8);
    expect(settingsOf(undefined, undefined)).toBe(20);
    expect(settingsOf(100, undefined)).toBe(20);
  });

  it('is set on runs that end at Validate too', () => {
    const nothingMapped: RunRequest = { ...pushRun, ref: 'refs/heads/nowhere', branch: 'nowhere' };
    const result = decideTargets({
      run: nothingMapped,
      config: { ...config, parallelism: 2 },
      changedFiles: undefined,
      sourceLocation,
      policy: withCap(8),
      defaultBranch: 'main',
    });
    expect(result.skipped).toBeDefined();
    expect(result.settings.parallelism).toBe(2);
  });
});
