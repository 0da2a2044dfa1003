import { describe, expect, it } from 'vitest';
import type { EnvironmentConfig, ProjectConfig } from '../../../functions/lib/config/config-schema.ts';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';
import {
  BUILD_IMAGES,
  buildCompute,
  buildLeaseSeconds,
  type ComputeName,
} from '../../../functions/lib/engines/build-compute.ts';
import type { Engine } from '../../../functions/lib/engines/engine.ts';
import { decideTargets } from '../../../functions/lib/targets/decide-targets.ts';
import { targetCompute } from '../../../functions/lib/targets/target-compute.ts';
import { anyBranchPolicy } from '../../helpers/policy.ts';
import { run } from '../engines/engine-fixtures.ts';

const LAMBDA_2GB = {
  environmentType: 'ARM_LAMBDA_CONTAINER',
  computeType: 'BUILD_LAMBDA_2GB',
  image: 'aws/codebuild/amazonlinux-aarch64-lambda-standard:nodejs22',
  timeoutMinutes: 15,
  queuedTimeoutMinutes: 0,
};
const EC2_SMALL = {
  environmentType: 'ARM_CONTAINER',
  computeType: 'BUILD_GENERAL1_SMALL',
  image: 'aws/codebuild/amazonlinux-aarch64-standard:3.0',
  timeoutMinutes: 60,
  queuedTimeoutMinutes: 30,
};

const project = (engine: Engine, compute?: ProjectConfig['compute']): ProjectConfig => ({
  name: 'net',
  dir: 'infra',
  engine,
  environments: ['staging'],
  watch: ['infra/**'],
  ...(compute ? { compute } : {}),
});
const environment = (compute?: EnvironmentConfig['compute']): EnvironmentConfig => ({
  branch: ['main'],
  drift: { schedule: 'off', remediate: false, issue: false },
  ...(compute ? { compute } : {}),
});

describe('targetCompute', () => {
  it('defaults plans to Lambda compute, Terraform and OpenTofu applies (unsafe to cut off at 15 minutes) and command to EC2 small', () => {
    for (const engine of ['terraform', 'opentofu'] as const) {
      expect(targetCompute(project(engine), environment())).toEqual({ plan: LAMBDA_2GB, apply: EC2_SMALL });
    }
    expect(targetCompute(project('cloudformation'), environment())).toEqual({ plan: LAMBDA_2GB, apply: LAMBDA_2GB });
    expect(targetCompute(project('command'), environment())).toEqual({ plan: EC2_SMALL, apply: EC2_SMALL });
  });

  it("the environment's compute replaces the default; the project's replaces the environment's, build by build", () => {
    expect(targetCompute(project('command'), environment({ plan: 'lambda', apply: 'lambda' }))).toEqual({
      plan: LAMBDA_2GB,
      apply: LAMBDA_2GB,
    });
    expect(
      targetCompute(project('terraform', { apply: 'small' }), environment({ plan: 'lambda-8gb', apply: 'large' })),
    ).toEqual({
      plan: { ...LAMBDA_2GB, computeType: 'BUILD_LAMBDA_8GB' },
      apply: EC2_SMALL,
    });
  });

  it('every name maps to a compute type of its environment type and the image for it', () => {
    const names: ComputeName[] = ['lambda-1gb', 'lambda-10gb', 'medium', 'xlarge'];
    expect(names.map((name) => buildCompute(name))).toEqual([
      { ...LAMBDA_2GB, computeType: 'BUILD_LAMBDA_1GB' },
      { ...LAMBDA_2GB, computeType: 'BUILD_LAMBDA_10GB' },
      { ...EC2_SMALL, computeType: 'BUILD_GENERAL1_MEDIUM' },
      { ...EC2_SMALL, computeType: 'BUILD_GENERAL1_XLARGE' },
    ]);
    expect(BUILD_IMAGES).toEqual({ lambda: LAMBDA_2GB.image, ec2: EC2_SMALL.image });
  });

  it('a lock lease covers the queue and the build of the compute used, plus a margin', () => {
    expect(buildLeaseSeconds(buildCompute('lambda'))).toBe((15 + 15) * 60);
    expect(buildLeaseSeconds(buildCompute('small'))).toBe((30 + 60 + 15) * 60);
  });
});

describe('decideTargets puts the compute on each target', () => {
  it('from pushgate.yml, without changing the target definition', () => {
    const yaml = (compute: string) =>
      [
        'version: 1',
        'environments:',
        '  staging: { branch: main, compute: { apply: medium } }',
        'projects:',
        `  - { name: net, dir: infra, engine: terraform, environments: [staging]${compute} }`,
        '',
      ].join('\n');
    const decide = (compute: string) => {
      const parsed = parseConfig(yaml(compute));
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
      const result = decideTargets({
        run,
        config: parsed.config,
        changedFiles: undefined,
        sourceLocation: 'https://github.com/acme/infra.git',
        policy: anyBranchPolicy,
        defaultBranch: 'main',
      });
      return result.waves[0]![0]!;
    };
    const fromEnvironment = decide('');
    expect(fromEnvironment.compute).toEqual({
      plan: LAMBDA_2GB,
      apply: { ...EC2_SMALL, computeType: 'BUILD_GENERAL1_MEDIUM' },
    });
    const fromProject = decide(', compute: lambda-1gb');
    expect(fromProject.compute.apply).toEqual({ ...LAMBDA_2GB, computeType: 'BUILD_LAMBDA_1GB' });
    // Where a build runs is not what it deploys: changing it re-plans nothing.
    expect(fromProject.definition).toBe(fromEnvironment.definition);
  });
});
