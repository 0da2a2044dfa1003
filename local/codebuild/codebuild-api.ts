import {
  BatchGetBuildsCommand,
  StartBuildCommand,
  StopBuildCommand,
  type BatchGetBuildsInput,
  type BatchGetBuildsOutput,
  type CodeBuildClient,
  type StartBuildInput,
  type StartBuildOutput,
  type StopBuildInput,
  type StopBuildOutput,
} from '@aws-sdk/client-codebuild';

/**
 * The three CodeBuild operations the workflow uses, in the AWS SDK's shapes. The local core
 * implements it directly; `codeBuildApiFromClient` adapts a real (or endpoint-overridden) client.
 */
export interface CodeBuildApi {
  startBuild(input: StartBuildInput): Promise<StartBuildOutput>;
  batchGetBuilds(input: BatchGetBuildsInput): Promise<BatchGetBuildsOutput>;
  stopBuild(input: StopBuildInput): Promise<StopBuildOutput>;
}

export function codeBuildApiFromClient(client: CodeBuildClient): CodeBuildApi {
  return {
    startBuild: (input) => client.send(new StartBuildCommand(input)),
    batchGetBuilds: (input) => client.send(new BatchGetBuildsCommand(input)),
    stopBuild: (input) => client.send(new StopBuildCommand(input)),
  };
}
