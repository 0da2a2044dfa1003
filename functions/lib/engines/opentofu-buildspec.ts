import type { RunRequest } from '../workflow/contract.ts';
import type { BuildTarget, Buildspecs, EngineOptions } from './engine-types.ts';
import { terraformBuildspec } from './terraform-buildspec.ts';

/** OpenTofu keeps Terraform's CLI, so only the binary differs; its options live under `terraform:`. */
export function opentofuBuildspec(
  target: BuildTarget,
  options: EngineOptions,
  run: RunRequest,
  planOnly: boolean,
): Buildspecs {
  return terraformBuildspec(target, options, run, planOnly, 'tofu');
}
