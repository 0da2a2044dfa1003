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
