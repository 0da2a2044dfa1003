import type { RunRequest } from '../workflow/contract.ts';
import type { BuildTarget, EngineOptions } from './engine-types.ts';
import { PLAN_EXPORTS, type PlanArtifactFile } from './plan-exports.ts';
import { shellQuote } from './shell-quote.ts';

/**
 * Commands every engine's buildspecs share. The artifact bucket comes from the CodeBuild project
 * (`PUSHGATE_ARTIFACT_BUCKET`); the prefix and the reviewed sha256 from the workflow's overrides.
 */

/** A multi-line step runs in a subshell with strict mode, so any failing line fails the command. */
export function script(lines: string[]): string {
  return ['(', 'set -euo pipefail', ...lines, ')'].join('\n');
}

export function enterProjectDir(dir: string): string {
  return dir === '.' ? 'cd "$CODEBUILD_SRC_DIR"' : `cd "$CODEBUILD_SRC_DIR"/${shellQuote(dir)}`;
}

function artifactUrl(file: string): string {
  return `"s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/${file}"`;
}

/**
 * Last commands of a plan build: reached only when every command before them succeeded. Each
 * artifact's sha256 goes into its exported variable (`planExports`) just before the upload, in the
 * build's own shell rather than a subshell, because CodeBuild reads exported variables from that
 * shell when the build ends. `pipefail` inside the substitution: a failing sha256sum fails the command.
 */
export function uploadArtifacts(files: PlanArtifactFile[]): string[] {
  return [
    ...files.map((file) => {
      const name = PLAN_EXPORTS[file];
      return `${name}="$(set -o pipefail; sha256sum ${file} | cut -d ' ' -f 1)" && export ${name} && echo "${file} sha256 $${name}"`;
    }),
    ...files.map((file) => `aws s3 cp ${file} ${artifactUrl(file)}`),
  ];
}

/** `env.exported-variables` of a plan build that uploads `files` (see uploadArtifacts). */
export function planExports(files: PlanArtifactFile[]): string[] {
  return files.map((file) => PLAN_EXPORTS[file]);
}

export function downloadPlan(): string {
  return `aws s3 cp ${artifactUrl('plan.bin')} plan.bin`;
}

/**
 * Apply applies exactly the plan that was reviewed: the artifact's sha256 must equal the one
 * Summarize recorded (`PUSHGATE_PLAN_SHA256`), checked before any tool runs.
 */
export function verifyPlanSha256(): string {
  return script([
    `expected="$(printf '%s' "\${PUSHGATE_PLAN_SHA256:-}" | tr 'A-F' 'a-f')"`,
    `actual="$(sha256sum plan.bin | cut -d ' ' -f 1)"`,
    'if [ -z "$expected" ] || [ "$actual" != "$expected" ]; then',
    '  echo "plan artifact changed since it was reviewed: expected ${expected:-(none)} got $actual" >&2',
    '  exit 1',
    'fi',
    'echo "plan artifact verified: sha256 $actual"',
  ]);
}

/**
 * The build's variables: what the workflow also sets (so that a buildspec run by hand still knows
 * its target), the engine's own, then the environment's `variables` from pushgate.yml.
 */
export function buildVariables(
  target: BuildTarget,
  options: EngineOptions,
  run: RunRequest,
  engineVariables: Record<string, string> = {},
): Record<string, string> {
  return {
    PUSHGATE_RUN_ID: run.runId,
    PUSHGATE_PROJECT: target.project,
    PUSHGATE_ENVIRONMENT: target.environment,
    PUSHGATE_ARTIFACT_PREFIX: target.artifactPrefix,
    ...engineVariables,
    ...(options.environment.variables ?? {}),
  };
}
