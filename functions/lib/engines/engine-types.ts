import type { EnvironmentConfig, ProjectConfig } from '../config/config-schema.ts';
import type { RunRequest, TargetSpec } from '../workflow/contract.ts';

/** A target before its buildspecs exist: what an engine generates them from (the same on any compute). */
export type BuildTarget = Omit<TargetSpec, 'buildspec' | 'compute'>;

/** The configuration an engine reads: the project's options and the environment's variables. */
export interface EngineOptions {
  project: ProjectConfig;
  environment: EnvironmentConfig;
}

export type Buildspecs = TargetSpec['buildspec'];

/** Every engine has this shape: buildspec YAML for the plan build and, unless plan-only, the apply build. */
export type BuildspecGenerator = (
  target: BuildTarget,
  options: EngineOptions,
  run: RunRequest,
  planOnly: boolean,
) => Buildspecs;
