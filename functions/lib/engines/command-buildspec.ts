import { posix } from 'node:path';
import type { RunRequest } from '../workflow/contract.ts';
import { buildVariables, script } from './build-steps.ts';
import type { BuildTarget, Buildspecs, EngineOptions } from './engine-types.ts';
import { PLAN_TEXT, type PlanArtifactFile } from './plan-exports.ts';
import { planAndApply } from './plan-and-apply.ts';
import { shellQuote } from './shell-quote.ts';

/**
 * Any tool with a plan/apply split: the user's commands run as written (they are the user's shell),
 * pushgate only moves the plan file. The plan build saves `planFile` as plan.bin (and `planJson` as
 * plan.json for the summary); the apply build puts the verified plan.bin back at `planFile` and
 * names it in `PUSHGATE_PLAN_FILE`.
 */
export function commandBuildspec(
  target: BuildTarget,
  options: EngineOptions,
  run: RunRequest,
  planOnly: boolean,
): Buildspecs {
  const settings = options.project.command;
  if (!settings) throw new TypeError(`project ${target.project} has engine command but no command options`);
  const planFile = posix.normalize(settings.planFile);
  const planJson = settings.planJson === undefined ? undefined : posix.normalize(settings.planJson);
  const variables = buildVariables(target, options, run);
  const artifacts: PlanArtifactFile[] = planJson === undefined ? ['plan.bin'] : ['plan.bin', 'plan.json'];
  // The plan command's output is its plan text, unless the command itself writes a file of that name.
  const teesText = planFile !== PLAN_TEXT.file && planJson !== PLAN_TEXT.file;

  return planAndApply(
    {
      variables,
      dir: target.dir,
      plan: [
        ...(settings.validate === undefined ? [] : [settings.validate]),
        teesText ? teePlanText(settings.plan) : settings.plan,
        script([
          `if [ ! -f ${shellQuote(planFile)} ]; then`,
          `  echo ${shellQuote(`the plan command did not write ${planFile}`)} >&2`,
          '  exit 1',
          'fi',
          ...(planFile === 'plan.bin' ? [] : [`cp -- ${shellQuote(planFile)} plan.bin`]),
          ...(planJson === undefined || planJson === 'plan.json' ? [] : [`cp -- ${shellQuote(planJson)} plan.json`]),
        ]),
      ],
      artifacts,
      apply: [
        ...(planFile === 'plan.bin'
          ? []
          : [`mkdir -p -- ${shellQuote(posix.dirname(planFile))} && cp -- plan.bin ${shellQuote(planFile)}`]),
        `export PUSHGATE_PLAN_FILE="$PWD"/${shellQuote(planFile)}`,
        settings.apply,
      ],
    },
    planOnly,
  );
}

/**
 * The user's plan command in the build's own shell (a `cd` or an export in it still holds), its
 * standard output also copied to plan.txt. The command's exit status is the step's; tee is waited
 * for so that plan.txt is complete before it is uploaded, and its own failure fails nothing. tee
 * writes to a temporary file outside the project and plan.txt is put in place only once the command
 * is done: a command that reads its own directory (dirsync.mjs lists the files it publishes) must
 * never see a half-written plan.txt there, which it would plan to publish (or, missing the next
 * time, to destroy).
 */
function teePlanText(command: string): string {
  return [
    'pushgate_plan_text="$(mktemp)"',
    `{`,
    command,
    `} > >(tee "$pushgate_plan_text") && { wait $! || true; } && { mv -f -- "$pushgate_plan_text" ${PLAN_TEXT.file} || true; }`,
  ].join('\n');
}
