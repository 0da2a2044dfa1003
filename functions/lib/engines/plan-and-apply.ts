import {
  assumeRole,
  downloadPlan,
  enterProjectDir,
  planExports,
  renderPlanText,
  uploadArtifacts,
  uploadPlanText,
  verifyPlanSha256,
} from './build-steps.ts';
import type { Buildspecs } from './engine-types.ts';
import type { PlanArtifactFile } from './plan-exports.ts';
import { renderBuildspec } from './render-buildspec.ts';

export interface EngineSteps {
  variables: Record<string, string>;
  /** Commands of the install phase (a pinned tool version), in both builds. */
  install?: string[];
  /** The project directory, relative to the repository root. */
  dir: string;
  /** The engine's plan: leaves plan.bin (and plan.json when among `artifacts`) in the project directory. */
  plan: string[];
  artifacts: PlanArtifactFile[];
  /**
   * Commands that write plan.txt, the plan as the tool prints it, once the plan and its uploads
   * succeeded; a failing one does not fail the build. An engine whose plan step already wrote
   * plan.txt needs none: whatever plan.txt is there is uploaded.
   */
  planText?: string[];
  /** The engine's apply of the verified plan.bin in the project directory. */
  apply: string[];
}

/**
 * The frame every engine's two buildspecs share: each build first takes on its environment's role, kept in one place because it is what makes "apply
 * exactly the reviewed plan" hold: the plan build ends by hashing its artifacts into exported
 * variables and uploading them; the apply build starts by downloading plan.bin and refusing it
 * unless its sha256 is the recorded one, before any of the engine's own commands run.
 */
export function planAndApply(steps: EngineSteps, planOnly: boolean): Buildspecs {
  const install = steps.install && steps.install.length > 0 ? { install: steps.install } : {};
  const plan = renderBuildspec({
    variables: steps.variables,
    exportedVariables: planExports(steps.artifacts),
    ...install,
    build: [
      assumeRole('PUSHGATE_PLAN_ROLE_ARN'),
      enterProjectDir(steps.dir),
      ...steps.plan,
      ...uploadArtifacts(steps.artifacts),
      ...renderPlanText(steps.planText ?? []),
      uploadPlanText(),
    ],
  });
  if (planOnly) return { plan };
  const apply = renderBuildspec({
    variables: steps.variables,
    ...install,
    build: [
      assumeRole('PUSHGATE_APPLY_ROLE_ARN'),
      enterProjectDir(steps.dir),
      downloadPlan(),
      verifyPlanSha256(),
      ...steps.apply,
    ],
  });
  return { plan, apply };
}
