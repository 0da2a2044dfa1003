/**
 * Variables every plan build exports (buildspec `env.exported-variables`): the sha256 of each
 * artifact as the build uploaded it. CodeBuild returns them with the build, out of reach of any
 * other build, so Summarize can tell the object it reads from one another build overwrote since.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.exported-variables
 */
export const PLAN_EXPORTS = {
  'plan.bin': 'PUSHGATE_PLAN_SHA256',
  'plan.json': 'PUSHGATE_PLAN_JSON_SHA256',
} as const;

export type PlanArtifactFile = keyof typeof PLAN_EXPORTS;

/**
 * The plan as the tool prints it (`plan.txt`), for people: shown in the pull request comment and the
 * approval request. Informational only, so not a PlanArtifactFile: a plan build whose text cannot be
 * rendered or uploaded still succeeds, and then exports an empty sha256 for it.
 */
export const PLAN_TEXT = {
  file: 'plan.txt',
  /** The override that carries the presigned PUT URL of `<artifactPrefix>/plan.txt`. */
  urlVariable: 'PUSHGATE_PLAN_TXT_URL',
  /** Exported: the sha256 of the plan.txt that arrived, empty when none did. */
  exportVariable: 'PUSHGATE_PLAN_TXT_SHA256',
} as const;
