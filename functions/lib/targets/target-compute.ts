import type { EnvironmentConfig, ProjectConfig } from '../config/config-schema.ts';
import { buildCompute, DEFAULT_COMPUTE, type ComputeName, type TargetCompute } from '../engines/build-compute.ts';

/**
 * The compute of a target's plan and apply builds: the project's `compute:` for that build, else its
 * environment's, else the engine's default for that build (DEFAULT_COMPUTE: plans on Lambda
 * compute, applies that must not be cut off at 15 minutes on EC2). Not part of the target's definition: where a build runs changes how long it takes,
 * not what it deploys, so changing it re-plans nothing.
 */
export function targetCompute(project: ProjectConfig, environment: EnvironmentConfig): TargetCompute {
  const pick = (build: 'plan' | 'apply'): ComputeName =>
    project.compute?.[build] ?? environment.compute?.[build] ?? DEFAULT_COMPUTE[project.engine][build];
  return { plan: buildCompute(pick('plan')), apply: buildCompute(pick('apply')) };
}
