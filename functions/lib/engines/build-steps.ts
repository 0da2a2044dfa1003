import type { RunRequest } from '../workflow/contract.ts';
import type { BuildTarget, EngineOptions } from './engine-types.ts';
import { PLAN_EXPORTS, PLAN_TEXT, type PlanArtifactFile } from './plan-exports.ts';
import { shellQuote } from './shell-quote.ts';

/**
 * Commands every engine's buildspecs share. Builds never touch the artifact bucket themselves (their
 * roles are denied it): the workflow passes presigned URLs of this target's artifacts
 * (`PUSHGATE_PLAN_BIN_URL`, `PUSHGATE_PLAN_JSON_URL`) and the reviewed sha256 as overrides.
 */

/** A multi-line step runs in a subshell with strict mode, so any failing line fails the command. */
export function script(lines: string[]): string {
  return ['(', 'set -euo pipefail', ...lines, ')'].join('\n');
}

export function enterProjectDir(dir: string): string {
  return dir === '.' ? 'cd "$CODEBUILD_SRC_DIR"' : `cd "$CODEBUILD_SRC_DIR"/${shellQuote(dir)}`;
}

/** The override that carries a presigned URL of `file`. */
const ARTIFACT_URL_VARIABLES: Record<PlanArtifactFile, string> = {
  'plan.bin': 'PUSHGATE_PLAN_BIN_URL',
  'plan.json': 'PUSHGATE_PLAN_JSON_URL',
};

/** curl that fails on an HTTP error and retries what is worth retrying; the URL is never echoed. */
const CURL = 'curl --fail --silent --show-error --retry 3 --retry-connrefused';

/**
 * First command of every build: take on the environment's role from the platform policy (the
 * `PUSHGATE_<PLAN|APPLY>_ROLE_ARN` variable; none for a plan: the build project's own read-only
 * role). The credentials go into the build's own shell, where the following commands run, and the
 * container's credentials endpoint is unset so that tools do not fall back to the runner's role.
 */
export function assumeRole(variable: 'PUSHGATE_PLAN_ROLE_ARN' | 'PUSHGATE_APPLY_ROLE_ARN'): string {
  return [
    `if [ -n "\${${variable}:-}" ]; then`,
    `read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN < <(aws sts assume-role --role-arn "$${variable}" --role-session-name "pushgate-$PUSHGATE_RUN_ID" --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)`,
    '&& [ -n "$AWS_SESSION_TOKEN" ]',
    '&& export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN',
    '&& unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI',
    `&& echo "assumed role $${variable}";`,
    'fi',
  ].join(' ');
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
    ...files.map(
      (file) => `${CURL} --upload-file ${file} "$${ARTIFACT_URL_VARIABLES[file]}" && echo "${file} uploaded"`,
    ),
  ];
}

/**
 * Commands that write plan.txt (the plan as the tool prints it), run after the plan and its uploads
 * succeeded. The text is informational: a failing command leaves no plan.txt and the build goes on.
 */
export function renderPlanText(commands: string[]): string[] {
  return commands.map(
    (command) =>
      `${script([command])} || { rm -f ${PLAN_TEXT.file}; echo "could not write ${PLAN_TEXT.file} (the plan text is informational: the plan stands)" >&2; }`,
  );
}

/**
 * The last command of a plan build: uploads plan.txt, when the build wrote one and the workflow gave
 * its URL, and exports its sha256. Never fails the build: a refused upload leaves the exported
 * sha256 empty, and the plan is reviewed without its text.
 */
export function uploadPlanText(): string {
  const { file, urlVariable, exportVariable } = PLAN_TEXT;
  return [
    `unset ${exportVariable};`,
    `if [ -n "\${${urlVariable}:-}" ] && [ -f ${file} ]; then`,
    `${exportVariable}="$(set -o pipefail; sha256sum ${file} | cut -d ' ' -f 1)"`,
    `&& ${CURL} --upload-file ${file} "$${urlVariable}"`,
    `&& export ${exportVariable} && echo "${file} uploaded"`,
    `|| { unset ${exportVariable}; echo "${file} was not uploaded (the plan text is informational: the plan stands)" >&2; };`,
    'fi',
  ].join(' ');
}

/** `env.exported-variables` of a plan build that uploads `files` (see uploadArtifacts) and plan.txt. */
export function planExports(files: PlanArtifactFile[]): string[] {
  return [...files.map((file) => PLAN_EXPORTS[file]), PLAN_TEXT.exportVariable];
}

export function downloadPlan(): string {
  return `${CURL} --output plan.bin "$${ARTIFACT_URL_VARIABLES['plan.bin']}" && echo "plan.bin downloaded"`;
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
    PUSHGATE_PLAN_ROLE_ARN: target.roles.plan,
    PUSHGATE_APPLY_ROLE_ARN: target.roles.apply,
    ...engineVariables,
    ...(options.environment.variables ?? {}),
  };
}
