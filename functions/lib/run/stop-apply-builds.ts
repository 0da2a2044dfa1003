import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import {
  BatchGetBuildsCommand,
  ListBuildsForProjectCommand,
  StopBuildCommand,
  type Build,
} from '@aws-sdk/client-codebuild';
import { RunStepError } from './errors.ts';

/** An apply build of the run still runs after StopBuild: releasing its locks now could overlap it. */
export class ApplyStillRunningError extends RunStepError {}

export interface StopApplyBuildsOptions {
  codebuild: Pick<CodeBuildClient, 'send'>;
  projectName: string;
  runId: string;
  /** How long to wait for the stopped builds to end. */
  timeoutMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const runIdOf = (build: Build) =>
  build.environment?.environmentVariables?.find((variable) => variable.name === 'PUSHGATE_RUN_ID')?.value;

/**
 * Stops the run's apply builds that are still in progress and waits until they have ended. When an
 * execution is stopped, Step Functions stops its `.sync` build only asynchronously: a lock released
 * before the build has really ended would let the next run plan and apply beside it. Builds are found
 * by their PUSHGATE_RUN_ID among the project's newest 100 (a run's apply is always recent).
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StopBuild.html
 */
export async function stopApplyBuilds(options: StopApplyBuildsOptions): Promise<{ stopped: string[] }> {
  const { codebuild, projectName, runId } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { ids = [] } = await codebuild.send(new ListBuildsForProjectCommand({ projectName, sortOrder: 'DESCENDING' }));
  if (ids.length === 0) return { stopped: [] };
  const inProgress = async (which: string[]) => {
    const { builds = [] } = await codebuild.send(new BatchGetBuildsCommand({ ids: which }));
    return builds.filter((build) => build.buildStatus === 'IN_PROGRESS' && runIdOf(build) === runId).map((b) => b.id!);
  };
  const running = await inProgress(ids.slice(0, 100));
  for (const id of running) await codebuild.send(new StopBuildCommand({ id }));
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let left = running;
  while (left.length > 0) {
    if (Date.now() > deadline) {
      throw new ApplyStillRunningError(
        `apply build ${left.join(', ')} of run ${runId} is still running after StopBuild`,
      );
    }
    await sleep(options.pollMs ?? 1_000);
    left = await inProgress(left);
  }
  return { stopped: running };
}
