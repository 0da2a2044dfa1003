import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';
import type { PushgateConfig } from '../../../functions/lib/config/config-schema.ts';
import { parsePolicy } from '../../../functions/lib/policy/read-policy.ts';
import { decideTargets } from '../../../functions/lib/targets/decide-targets.ts';
import { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { localPolicy, LOCAL_APPLY_ROLE } from '../../helpers/policy.ts';

const SHA = 'a'.repeat(40);

function config(remediate: boolean): PushgateConfig {
  const parsed = parseConfig(
    [
      'version: 1',
      'environments:',
      '  staging: { branch: develop }',
      `  prod: { branch: release/*, drift: { remediate: ${remediate} } }`,
      'projects:',
      '  - { name: network, dir: network, engine: terraform, environments: [staging, prod] }',
      '  - { name: dns, dir: dns, engine: terraform, environments: [prod] }',
      '',
    ].join('\n'),
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

const drift: RunRequest = {
  runId: '01JDRIFT',
  deliveryId: 'drift-01JDRIFT',
  kind: 'drift',
  repo: 'acme/infra',
  ref: 'refs/heads/main',
  branch: 'main',
  defaultBranch: 'main',
  sha: SHA,
  actor: 'pushgate',
  drift: { environment: 'prod', projects: ['network'] },
  receivedAt: '2026-01-01T12:00:00.000Z',
};

const decide = (run: RunRequest, remediate: boolean, policy = anyBranch) =>
  decideTargets({
    run,
    config: config(remediate),
    changedFiles: undefined,
    sourceLocation: 'https://github.com/acme/infra.git',
    policy,
    defaultBranch: 'main',
    ...(run.drift ? { only: run.drift } : {}),
  });

const anyBranch = {
  policy: parsePolicy(
    [
      'version: 1',
      'repositories:',
      "  - repos: ['*/*']",
      '    environments:',
      `      '*': { applyRole: '${LOCAL_APPLY_ROLE}', branches: ['**'] }`,
    ].join('\n'),
    'test',
  ),
  source: 'test',
};

describe('the targets of a drift check', () => {
  it('are the named projects of its environment, whichever branch deploys there, plan-only by default', () => {
    const result = decide(drift, false);
    expect(result.skipped).toBeUndefined();
    expect(result.waves.flat().map((t) => `${t.project}/${t.environment}`)).toEqual(['network/prod']);
    expect(result.settings.planOnly).toBe(true);
    expect(result.waves[0]?.[0]?.buildspec.apply).toBeUndefined();
  });

  it("remediate comes from the reviewed pushgate.yml alone: a request's remediate is dropped", () => {
    expect(decide(drift, true).settings.planOnly).toBe(false);
    expect(decide(drift, true).waves[0]?.[0]?.buildspec.apply).toBeDefined();
    const crafted = RunRequest.parse({ ...drift, remediate: true, drift: { ...drift.drift, remediate: true } });
    expect(crafted).toEqual(drift);
    expect(decide(crafted, false).settings.planOnly).toBe(true);
  });

  it('still checks, plan-only, where the policy would refuse the remediation from the default branch', () => {
    // The local policy deploys only from the default branch's name `main`; this run's branch is `trunk`.
    const result = decide({ ...drift, branch: 'trunk', ref: 'refs/heads/trunk' }, true, localPolicy);
    expect(result.skipped).toBeUndefined();
    expect(result.settings.planOnly).toBe(true);
    expect(result.targetCount).toBe(1);
  });

  it('names what the config no longer has', () => {
    expect(decide({ ...drift, drift: { environment: 'qa', projects: ['network'] } }, false).skipped).toMatch(
      /has no environment qa/,
    );
    expect(decide({ ...drift, drift: { environment: 'prod', projects: ['gone'] } }, false).skipped).toMatch(
      /has no project gone/,
    );
  });
});
