import { parse } from 'yaml';
import { z } from 'zod';
import { BuildspecError } from './errors.ts';

// Buildspec 0.2 as CodeBuild documents it: https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
// YAML reads `- true` or `- 1` as a boolean or a number; CodeBuild runs them as the command text.
const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const Commands = z.array(Scalar);

const Phase = z.strictObject({
  'run-as': z.string().optional(),
  'on-failure': z.enum(['ABORT', 'CONTINUE']).optional(),
  'runtime-versions': z.record(z.string(), z.unknown()).optional(),
  commands: Commands.optional(),
  finally: Commands.optional(),
});

const Env = z.strictObject({
  shell: z.enum(['bash', '/bin/sh', 'sh']).optional(),
  variables: z.record(z.string(), Scalar).optional(),
  'parameter-store': z.record(z.string(), z.string()).optional(),
  'secrets-manager': z.record(z.string(), z.string()).optional(),
  'exported-variables': z.array(z.string()).optional(),
  'git-credential-helper': z.union([z.boolean(), z.enum(['yes', 'no'])]).optional(),
});

const Buildspec = z.looseObject({
  version: z.union([z.literal(0.2), z.literal('0.2')], { message: 'only buildspec version 0.2 is supported' }),
  'run-as': z.string().optional(),
  env: Env.optional(),
  phases: z.strictObject({
    install: Phase.optional(),
    pre_build: Phase.optional(),
    build: Phase.optional(),
    post_build: Phase.optional(),
  }),
  // Artifacts, reports and caches are accepted (CodeBuild would upload them) and ignored locally.
  artifacts: z.unknown().optional(),
  reports: z.unknown().optional(),
  cache: z.unknown().optional(),
});

export type Buildspec = z.infer<typeof Buildspec>;
export type BuildspecPhase = z.infer<typeof Phase>;
export type BuildspecPhaseName = keyof Buildspec['phases'];

/** Parses buildspec text (YAML) and checks it the way CodeBuild does before running it. */
export function parseBuildspec(text: string): Buildspec {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new BuildspecError(`the buildspec is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const parsed = Buildspec.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
      .join('; ');
    throw new BuildspecError(`invalid buildspec: ${problems}`);
  }
  return parsed.data;
}

/** `buildspecOverride` is either the buildspec itself or a path to one in the source. */
export function isInlineBuildspec(value: string): boolean {
  return /\n/.test(value.trim()) || /^\s*version\s*:/m.test(value);
}

/**
 * `buildspecOverride` as an S3 object's ARN (`arn:aws:s3:::bucket/key`), as CodeBuild takes a
 * buildspec stored in S3; undefined for anything else (inline YAML, a path in the source).
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html#CodeBuild-StartBuild-request-buildspecOverride
 */
export function s3BuildspecLocation(value: string): { bucket: string; key: string } | undefined {
  const match = /^arn:aws[a-z-]*:s3:::([^/\s]+)\/(\S.*)$/.exec(value.trim());
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}
