import {
  ComputeType,
  EnvironmentType,
  type ComputeType as ComputeTypeName,
  type EnvironmentType as EnvironmentTypeName,
  type StartBuildInput,
} from '@aws-sdk/client-codebuild';
import { BUILD_IMAGES, LAMBDA_BUILD_MINUTES } from '../../functions/lib/engines/build-compute.ts';
import { LocalCodeBuildError } from './errors.ts';

/** A project's environment: what a build without overrides gets. */
export interface LocalBuildEnvironment {
  type: EnvironmentTypeName;
  computeType: ComputeTypeName;
  image: string;
}

/** infra/codebuild.yml's projects: EC2 small, arm64, the curated Amazon Linux 2023 image. */
export const DEFAULT_PROJECT_ENVIRONMENT: LocalBuildEnvironment = {
  type: 'ARM_CONTAINER',
  computeType: 'BUILD_GENERAL1_SMALL',
  image: BUILD_IMAGES.ec2,
};

const LAMBDA_ENVIRONMENTS: readonly string[] = [
  EnvironmentType.ARM_LAMBDA_CONTAINER,
  EnvironmentType.LINUX_LAMBDA_CONTAINER,
];
const LAMBDA_COMPUTE: readonly string[] = [
  ComputeType.BUILD_LAMBDA_1GB,
  ComputeType.BUILD_LAMBDA_2GB,
  ComputeType.BUILD_LAMBDA_4GB,
  ComputeType.BUILD_LAMBDA_8GB,
  ComputeType.BUILD_LAMBDA_10GB,
];
/** Compute types that need a fleet or a computeConfiguration, which the local CodeBuild does not model. */
const FLEET_COMPUTE: readonly string[] = [ComputeType.ATTRIBUTE_BASED_COMPUTE, ComputeType.CUSTOM_INSTANCE_TYPE];

export interface ResolvedBuildEnvironment {
  environment: LocalBuildEnvironment;
  /** Lambda compute: no queue, and the build stops at 15 minutes. */
  lambda: boolean;
  timeoutMinutes: number;
  queuedTimeoutMinutes?: number;
}

const invalid = (message: string) => new LocalCodeBuildError('InvalidInputException', message);

/** The message CodeBuild's request validation gives for a value outside an enum. */
function enumError(field: string, value: string, allowed: readonly string[]): LocalCodeBuildError {
  return invalid(
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
  );
}

/**
 * A build's environment from its project and StartBuild's environmentTypeOverride /
 * computeTypeOverride / imageOverride, refused as CodeBuild refuses it: an unknown type or compute
 * type, a Lambda compute type on a container type or the reverse, an empty image, and, on Lambda
 * compute, a timeout override (Lambda builds cannot set one: they stop at 15 minutes).
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html
 * https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html#lambda.limitations
 */
export function resolveBuildEnvironment(
  project: { environment?: LocalBuildEnvironment; timeoutMinutes?: number; queuedTimeoutMinutes?: number },
  input: Pick<
    StartBuildInput,
    | 'environmentTypeOverride'
    | 'computeTypeOverride'
    | 'imageOverride'
    | 'timeoutInMinutesOverride'
    | 'queuedTimeoutInMinutesOverride'
  >,
): ResolvedBuildEnvironment {
  const base = project.environment ?? DEFAULT_PROJECT_ENVIRONMENT;
  const types = Object.values(EnvironmentType);
  const computeTypes = Object.values(ComputeType);
  if (input.environmentTypeOverride !== undefined && !types.includes(input.environmentTypeOverride)) {
    throw enumError('environmentTypeOverride', input.environmentTypeOverride, types);
  }
  if (input.computeTypeOverride !== undefined && !computeTypes.includes(input.computeTypeOverride)) {
    throw enumError('computeTypeOverride', input.computeTypeOverride, computeTypes);
  }
  if (input.imageOverride !== undefined && input.imageOverride.trim() === '') {
    throw invalid(
      "1 validation error detected: Value at 'imageOverride' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  const environment: LocalBuildEnvironment = {
    type: input.environmentTypeOverride ?? base.type,
    computeType: input.computeTypeOverride ?? base.computeType,
    image: input.imageOverride ?? base.image,
  };
  const lambda = LAMBDA_ENVIRONMENTS.includes(environment.type);
  if (FLEET_COMPUTE.includes(environment.computeType)) {
    throw invalid(
      `Compute type ${environment.computeType} needs a fleet or a computeConfiguration, which the local CodeBuild does not run`,
    );
  }
  if (lambda !== LAMBDA_COMPUTE.includes(environment.computeType)) {
    throw invalid(
      lambda
        ? `Invalid compute type ${environment.computeType} for environment type ${environment.type}: Lambda compute takes ${LAMBDA_COMPUTE.join(', ')}`
        : `Invalid compute type ${environment.computeType} for environment type ${environment.type}: ${environment.computeType} runs only on ${LAMBDA_ENVIRONMENTS.join(' or ')}`,
    );
  }
  if (lambda) {
    for (const field of ['timeoutInMinutesOverride', 'queuedTimeoutInMinutesOverride'] as const) {
      if (input[field] !== undefined) throw invalid(`Cannot specify ${field} for lambda compute`);
    }
    // Fractions of a minute are allowed locally (tests); never beyond Lambda's 15 minutes.
    return {
      environment,
      lambda,
      timeoutMinutes: Math.min(project.timeoutMinutes ?? LAMBDA_BUILD_MINUTES, LAMBDA_BUILD_MINUTES),
    };
  }
  return {
    environment,
    lambda,
    timeoutMinutes: input.timeoutInMinutesOverride ?? project.timeoutMinutes ?? 60,
    queuedTimeoutMinutes: input.queuedTimeoutInMinutesOverride ?? project.queuedTimeoutMinutes ?? 480,
  };
}
