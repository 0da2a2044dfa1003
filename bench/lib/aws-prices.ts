/**
 * AWS list prices the cost figures use: us-east-1, on-demand, USD, as published on the pages named
 * (read 2026-12-01). Free tiers are left out: the figures are what a run costs once they are used up.
 */
export const PRICES = {
  /** https://aws.amazon.com/step-functions/pricing/ : Standard workflows, per state transition. */
  stateTransition: 0.025 / 1000,
  /** https://aws.amazon.com/lambda/pricing/ : Arm, per GB-second of billed duration (1 ms granularity). */
  lambdaArmGbSecond: 0.0000133334,
  /** https://aws.amazon.com/lambda/pricing/ : per request. */
  lambdaRequest: 0.2 / 1_000_000,
  /** https://aws.amazon.com/api-gateway/pricing/ : HTTP APIs, per request (first 300 million a month). */
  httpApiRequest: 1 / 1_000_000,
  /** https://aws.amazon.com/codebuild/pricing/ : Lambda compute `lambda.arm.1GB`, per second, billed per second. */
  codeBuildLambdaArm1GbSecond: 0.00001,
  /**
   * `lambda.arm.2GB` (pushgate's `compute: lambda`): twice the 1 GB rate, as Lambda compute is priced
   * in proportion to memory. Not read from the page here: check it there.
   */
  codeBuildLambdaArm2GbSecond: 0.00002,
  /** https://aws.amazon.com/codebuild/pricing/ : on-demand EC2 `arm1.small`, per minute, rounded up to whole minutes. */
  codeBuildArmSmallMinute: 0.0034,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ : per write / read request unit. */
  dynamoWriteUnit: 0.625 / 1_000_000,
  dynamoReadUnit: 0.125 / 1_000_000,
} as const;

/** Hours in the month AWS prices by. */
export const HOURS_PER_MONTH = 730;

/**
 * An always-on Atlantis as its docs deploy it on AWS (the atlantis ECS/Fargate module): one task of
 * 0.5 vCPU and 1 GiB on Fargate (x86, Linux) behind an Application Load Balancer, and its EFS data
 * volume left out. https://aws.amazon.com/fargate/pricing/ https://aws.amazon.com/elasticloadbalancing/pricing/
 */
export const ATLANTIS_MONTHLY = {
  fargate: (0.5 * 0.04048 + 1 * 0.004445) * HOURS_PER_MONTH,
  /** The hourly charge plus one LCU-hour, the least a balancer that answers webhooks uses. */
  loadBalancer: (0.0225 + 0.008) * HOURS_PER_MONTH,
};
