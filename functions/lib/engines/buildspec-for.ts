import type { RunRequest } from '../workflow/contract.ts';
import type { Engine } from './engine.ts';
import { cloudformationBuildspec } from './cloudformation-buildspec.ts';
import { commandBuildspec } from './command-buildspec.ts';
import type { BuildspecGenerator, BuildTarget, Buildspecs, EngineOptions } from './engine-types.ts';
import { opentofuBuildspec } from './opentofu-buildspec.ts';
import { terraformBuildspec } from './terraform-buildspec.ts';

const GENERATORS: Record<Engine, BuildspecGenerator> = {
  terraform: (target, options, run, planOnly) => terraformBuildspec(target, options, run, planOnly),
  opentofu: opentofuBuildspec,
  cloudformation: cloudformationBuildspec,
  command: commandBuildspec,
};

/** The plan (and, unless plan-only, apply) buildspec of a target, by its engine. */
export function buildspecFor(
  target: BuildTarget,
  options: EngineOptions,
  run: RunRequest,
  planOnly: boolean,
): Buildspecs {
  return GENERATORS[target.engine](target, options, run, planOnly);
}
