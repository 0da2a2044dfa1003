import { consoleUrl } from '../../functions/lib/console-url.ts';

/** The account of the local stack's ARNs: it has no console pages. */
const LOCAL_ACCOUNT = '000000000000';

/** Where to look further at a run: its console page (on AWS) and the command that prints its build logs. */
export interface RunLinks {
  /** The Step Functions console page of the execution; absent on the local stack and before the execution started. */
  console?: string;
  logs: string;
}

/** Where to look further at one target: its builds' console pages (on AWS) and its logs command. */
export interface TargetLinks {
  planBuild?: string;
  applyBuild?: string;
  logs: string;
}

const regionOf = (arn: string) => arn.split(':')[3] || 'us-east-1';
const isLocal = (arn: string) => arn.split(':')[4] === LOCAL_ACCOUNT;

export function runLinks(run: { runId: string; executionArn?: string }): RunLinks {
  const arn = run.executionArn;
  return {
    ...(arn && !isLocal(arn) ? { console: consoleUrl(arn) } : {}),
    logs: `pushgate logs ${run.runId}`,
  };
}

/**
 * A CodeBuild build's console page; a build id is `<project>:<uuid>`.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/view-build-details.html
 */
export function buildConsoleUrl(buildId: string, region: string): string {
  const project = buildId.split(':')[0] ?? '';
  return `https://${region}.console.aws.amazon.com/codesuite/codebuild/projects/${encodeURIComponent(project)}/build/${encodeURIComponent(buildId)}/?region=${region}`;
}

export function targetLinks(
  run: { runId: string; executionArn?: string },
  target: { project: string; environment: string; planBuildId?: string; applyBuildId?: string },
): TargetLinks {
  const arn = run.executionArn;
  const onAws = arn !== undefined && !isLocal(arn);
  const region = arn ? regionOf(arn) : 'us-east-1';
  return {
    ...(onAws && target.planBuildId ? { planBuild: buildConsoleUrl(target.planBuildId, region) } : {}),
    ...(onAws && target.applyBuildId ? { applyBuild: buildConsoleUrl(target.applyBuildId, region) } : {}),
    logs: `pushgate logs ${run.runId} --target ${target.project}/${target.environment}`,
  };
}
