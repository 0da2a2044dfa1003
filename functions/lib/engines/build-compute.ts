import * as z from 'zod';
import type { Engine } from './engine.ts';

/**
 * Where a target's CodeBuild builds run: CodeBuild's Lambda compute (a build starts in seconds, is
 * billed per second, and stops at 15 minutes) or an EC2 container (90–250 s to provision, billed per
 * started minute, up to the project's 60-minute timeout). The workflow passes the choice to each
 * StartBuild as EnvironmentTypeOverride / ComputeTypeOverride / ImageOverride
 * (state-machines/deploy.asl.yml, Plan and Apply); the projects (infra/codebuild.yml) are created as
 * the EC2 small form, which is what a build without overrides gets.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-compute-types.html
 */

/**
 * The curated images, pinned to their runtime tags (AWS patches an image under the same tag; the
 * tag fixes the OS and the runtime). Both are Amazon Linux 2023 on aarch64 with bash, curl, unzip,
 * sha256sum, git and the AWS CLI v2, which is everything the generated buildspecs run
 * (README.md, "Build images", has the table). Keep infra/codebuild.yml's Image equal to `ec2`.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/lambda-compute-images.html
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-available.html
 */
export const BUILD_IMAGES = {
  lambda: 'aws/codebuild/amazonlinux-aarch64-lambda-standard:nodejs22',
  ec2: 'aws/codebuild/amazonlinux-aarch64-standard:3.0',
} as const;

/** Lambda compute's hard limit: a build still running after 15 minutes is stopped. */
export const LAMBDA_BUILD_MINUTES = 15;
/** infra/codebuild.yml: TimeoutInMinutes and QueuedTimeoutInMinutes of both projects (EC2 builds). */
export const EC2_BUILD_MINUTES = 60;
export const EC2_QUEUED_MINUTES = 30;

const LAMBDA_SIZES = {
  'lambda-1gb': 'BUILD_LAMBDA_1GB',
  'lambda-2gb': 'BUILD_LAMBDA_2GB',
  'lambda-4gb': 'BUILD_LAMBDA_4GB',
  'lambda-8gb': 'BUILD_LAMBDA_8GB',
  'lambda-10gb': 'BUILD_LAMBDA_10GB',
} as const;
const EC2_SIZES = {
  small: 'BUILD_GENERAL1_SMALL',
  medium: 'BUILD_GENERAL1_MEDIUM',
  large: 'BUILD_GENERAL1_LARGE',
  xlarge: 'BUILD_GENERAL1_XLARGE',
} as const;

/** `lambda` is `lambda-2gb`: room for a Terraform provider or two without paying for 4 GB. */
export const COMPUTE_NAMES = ['lambda', ...Object.keys(LAMBDA_SIZES), ...Object.keys(EC2_SIZES)] as [
  'lambda',
  ...(keyof typeof LAMBDA_SIZES | keyof typeof EC2_SIZES)[],
];
export const ComputeName = z.enum(COMPUTE_NAMES);
export type ComputeName = z.infer<typeof ComputeName>;

const COMPUTE_TYPES = [...Object.values(LAMBDA_SIZES), ...Object.values(EC2_SIZES)] as [string, ...string[]];

/** One build's compute, as the StartBuild overrides take it. */
export const BuildCompute = z.object({
  environmentType: z.enum(['ARM_LAMBDA_CONTAINER', 'ARM_CONTAINER']),
  computeType: z.enum(COMPUTE_TYPES),
  image: z.string().min(1),
  /** How long the build may run: 15 for Lambda compute, the project's timeout on EC2. */
  timeoutMinutes: z.number().int().positive(),
  /** How long it may wait for capacity first: none on Lambda (it does not queue), the project's on EC2. */
  queuedTimeoutMinutes: z.number().int().nonnegative(),
});
export type BuildCompute = z.infer<typeof BuildCompute>;

/** The compute of a target's two builds. */
export const TargetCompute = z.object({ plan: BuildCompute, apply: BuildCompute });
export type TargetCompute = z.infer<typeof TargetCompute>;

/** What a `compute:` name in pushgate.yml means for one build. */
export function buildCompute(name: ComputeName): BuildCompute {
  if (name === 'lambda' || name.startsWith('lambda-')) {
    const size = name === 'lambda' ? 'lambda-2gb' : (name as keyof typeof LAMBDA_SIZES);
    return {
      environmentType: 'ARM_LAMBDA_CONTAINER',
      computeType: LAMBDA_SIZES[size],
      image: BUILD_IMAGES.lambda,
      timeoutMinutes: LAMBDA_BUILD_MINUTES,
      queuedTimeoutMinutes: 0,
    };
  }
  return {
    environmentType: 'ARM_CONTAINER',
    computeType: EC2_SIZES[name as keyof typeof EC2_SIZES],
    image: BUILD_IMAGES.ec2,
    timeoutMinutes: EC2_BUILD_MINUTES,
    queuedTimeoutMinutes: EC2_QUEUED_MINUTES,
  };
}

/**
 * Each engine's compute per build when pushgate.yml names none.
 * - Plans run on Lambda compute (they start in seconds): terraform, opentofu and cloudformation plans
 *   run only what pushgate generates (tools installed under /tmp, no root, no docker), and a plan
 *   stopped at Lambda's 15 minutes changes nothing.
 * - Terraform and OpenTofu applies run on EC2: an apply stopped halfway by Lambda's 15-minute limit
 *   leaves resources its state does not know and its state lock held. A CloudFormation apply runs on
 *   Lambda: the stack update goes on in CloudFormation whatever happens to the build.
 * - command runs the repository's own commands, which may need docker, root (yum) or more than 15
 *   minutes: EC2 for both unless the project asks for Lambda.
 */
export const DEFAULT_COMPUTE: Record<Engine, Record<'plan' | 'apply', ComputeName>> = {
  terraform: { plan: 'lambda', apply: 'small' },
  opentofu: { plan: 'lambda', apply: 'small' },
  cloudformation: { plan: 'lambda', apply: 'lambda' },
  command: { plan: 'small', apply: 'small' },
};

/**
 * The lease a lock needs to cover one build of this compute from StartBuild to its end (the queue,
 * the build, and `marginMinutes` for the steps around it). A lease shorter than this could end while
 * the build still applies, and let another run take the lock.
 */
export function buildLeaseSeconds(compute: BuildCompute, marginMinutes = 15): number {
  return (compute.queuedTimeoutMinutes + compute.timeoutMinutes + marginMinutes) * 60;
}
