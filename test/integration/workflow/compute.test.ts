import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, terraformConfig, type Harness } from '../../helpers/stack-harness.ts';

// The compute pushgate.yml asks for reaches CodeBuild: Validate resolves it per target, the Plan and
// Apply states pass it as StartBuild's environment overrides (state-machines/deploy.asl.yml), and
// the local CodeBuild records them on the build as CodeBuild does.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

describe('build compute', () => {
  it("the plan runs on the engine's default Lambda compute, the apply where the environment asks", async () => {
    // terraformConfig writes the environment block; `compute:` goes right after its branch.
    const config = terraformConfig().replace(
      '    branch: main\n',
      '    branch: main\n    compute: { apply: medium }\n',
    );
    expect(config).toContain('compute: { apply: medium }');
    const repo = await h.repository('compute', {
      'pushgate.yml': config,
      'infra/network/main.tf': 'resource "null_resource" "a" {}\n',
    });
    const result = await repo.deploy({}, 'first');
    expect(result.execution.status).toBe('SUCCEEDED');
    const { planBuildId, applyBuildId } = result.targets[0]!;
    const { builds } = await h.stack.codebuild.batchGetBuilds({ ids: [planBuildId!, applyBuildId!] });
    expect(builds?.map((build) => build.environment)).toEqual([
      expect.objectContaining({
        type: 'ARM_LAMBDA_CONTAINER',
        computeType: 'BUILD_LAMBDA_2GB',
        image: 'aws/codebuild/amazonlinux-aarch64-lambda-standard:nodejs22',
      }),
      expect.objectContaining({
        type: 'ARM_CONTAINER',
        computeType: 'BUILD_GENERAL1_MEDIUM',
        image: 'aws/codebuild/amazonlinux-aarch64-standard:3.0',
      }),
    ]);
  });
});
