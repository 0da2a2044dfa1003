import { describe, expect, it } from 'vitest';
import {
  applyBeforeMergeAllowed,
  engineAllowed,
  grantEnvironment,
} from '../../../functions/lib/policy/grant-environment.ts';
import { parsePolicy } from '../../../functions/lib/policy/read-policy.ts';
import { PolicyError } from '../../../functions/lib/policy/policy-error.ts';

const DEPLOY = 'arn:aws:iam::111111111111:role/deploy-staging';
const PROD = 'arn:aws:iam::222222222222:role/deploy-prod';

const policy = parsePolicy(
  `
version: 1
repositories:
  - repos: [acme/legacy]
    engines: [command]
    environments: {}
  - repos: ['acme/*']
    applyBeforeMerge: true
    environments:
      staging: { applyRole: ${DEPLOY}, branches: [main, 'release/*'] }
      prod:
        applyRole: ${PROD}
        approval: { approvers: [alice, bob] }
      sandbox: { }
`,
  'test',
);

const request = {
  repo: 'acme/infra',
  environment: 'staging',
  branch: 'main',
  defaultBranch: 'main',
  deploying: true,
  source: '/pushgate/dev/policy',
};

describe('grantEnvironment', () => {
  it('grants an environment from an allowed branch with its roles', () => {
    expect(grantEnvironment(policy, request)).toEqual({
      granted: {
        roles: { apply: DEPLOY },
        approval: { required: false, approvers: [], timeoutSeconds: 86400, allowSelfApproval: false },
      },
    });
    expect(grantEnvironment(policy, { ...request, branch: 'release/2' })).toMatchObject({ granted: {} });
  });

  it('refuses a branch the policy does not list, and defaults to the default branch only', () => {
    expect(grantEnvironment(policy, { ...request, branch: 'attacker' })).toEqual({
      refused: 'the platform policy deploys staging only from main, release/*, not from attacker',
    });
    expect(grantEnvironment(policy, { ...request, environment: 'prod', branch: 'dev' })).toEqual({
      refused: 'the platform policy deploys prod only from main, not from dev',
    });
  });

  it('lets a plan-only run plan from any branch without an apply role', () => {
    expect(grantEnvironment(policy, { ...request, environment: 'sandbox', branch: 'x', deploying: false })).toEqual({
      granted: {
        roles: {},
        approval: { required: false, approvers: [], timeoutSeconds: 86400, allowSelfApproval: false },
      },
    });
  });

  it('fails a deploy whose environment has no apply role, naming the setting', () => {
    expect(grantEnvironment(policy, { ...request, environment: 'sandbox' })).toEqual({
      failed:
        'sandbox has no apply role: set repositories[1].environments.sandbox.applyRole in the platform policy (/pushgate/dev/policy)',
    });
  });

  it('refuses repositories and environments the policy does not name', () => {
    expect(grantEnvironment(policy, { ...request, repo: 'other/infra' })).toMatchObject({
      refused: expect.stringContaining('other/infra is not in the platform policy'),
    });
    expect(grantEnvironment(policy, { ...request, repo: 'acme/legacy' })).toEqual({
      refused: 'the platform policy lets acme/legacy deploy no environment named staging',
    });
  });

  it("keeps the policy's approval whatever pushgate.yml says, and narrows approvers to the policy's", () => {
    const prod = { ...request, environment: 'prod' };
    expect(grantEnvironment(policy, { ...prod, approval: { required: false, approvers: [] } })).toMatchObject({
      granted: { approval: { required: true, approvers: ['alice', 'bob'] } },
    });
    expect(
      grantEnvironment(policy, { ...prod, approval: { required: true, approvers: ['bob', 'mallory'] } }),
    ).toMatchObject({
      granted: { approval: { required: true, approvers: ['bob'] } },
    });
    expect(grantEnvironment(policy, { ...prod, approval: { required: true, approvers: ['mallory'] } })).toMatchObject({
      failed: expect.stringContaining('approval is required'),
    });
    // A repository may ask for an approval the policy does not require.
    expect(grantEnvironment(policy, { ...request, approval: { required: true, approvers: ['carol'] } })).toMatchObject({
      granted: { approval: { required: true, approvers: ['carol'] } },
    });
  });

  it('allows engines and applyBeforeMerge per rule', () => {
    expect(engineAllowed(policy, 'acme/legacy', 'terraform')).toBe(false);
    expect(engineAllowed(policy, 'acme/legacy', 'command')).toBe(true);
    expect(engineAllowed(policy, 'acme/infra', 'terraform')).toBe(true);
    expect(applyBeforeMergeAllowed(policy, 'acme/infra')).toBe(true);
    expect(applyBeforeMergeAllowed(policy, 'acme/legacy')).toBe(false);
  });
});

describe('parsePolicy', () => {
  it('lists every problem with its line', () => {
    expect(() =>
      parsePolicy(
        'version: 1\nrepositories:\n  - repos: []\n    environments:\n      prod: { applyRole: nope }\n',
        'p',
      ),
    ).toThrow(PolicyError);
    try {
      parsePolicy(
        'version: 1\nrepositories:\n  - repos: []\n    environments:\n      prod: { applyRole: nope }\n',
        'p',
      );
    } catch (error) {
      expect((error as Error).message).toMatch(/2 problems/);
      expect((error as Error).message).toMatch(/repositories\[0\]\.repos \(line 3\)/);
      expect((error as Error).message).toMatch(/applyRole \(line 5\): expected an IAM role ARN/);
    }
  });
});
