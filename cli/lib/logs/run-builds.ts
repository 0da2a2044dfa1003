import type { Build } from '@aws-sdk/client-codebuild';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { TargetRecord } from '../../../functions/lib/store/types.ts';

/** One plan or apply build of a run, as `pushgate logs` shows it. */
export interface RunBuild {
  project: string;
  environment: string;
  phase: 'plan' | 'apply';
  buildId: string;
  /** CodeBuild's buildStatus (IN_PROGRESS, SUCCEEDED, FAILED, …), or UNKNOWN for a build CodeBuild no longer has. */
  status: string;
  complete: boolean;
  logGroup: string;
  logStream: string;
  startTime?: Date;
  endTime?: Date;
}

/**
 * The ids of a run's builds: those the execution history shows the Plan and Apply tasks starting
 * (`TaskSubmitted` of `codebuild:startBuild.sync` has `{ Build: { Id } }`, also while the build runs
 * and when it fails), and those the target records keep (planBuildId, applyBuildId: the history of an
 * execution can be gone), oldest first, without repeats.
 */
export function buildIdsOf(history: readonly HistoryEvent[], targets: readonly TargetRecord[]): string[] {
  const ids: string[] = [];
  const add = (id: string | undefined) => {
    if (id && !ids.includes(id)) ids.push(id);
  };
  for (const event of history) {
    const details = event.taskSubmittedEventDetails;
    if (event.type !== 'TaskSubmitted' || details?.resourceType !== 'codebuild') continue;
    add(buildIdIn(details.output));
  }
  for (const target of targets) {
    add(target.planBuildId);
    add(target.applyBuildId);
  }
  return ids;
}

/** `Build.Id` of a task's output (JSON; a truncated one is searched for the build ARN). */
function buildIdIn(output: string | undefined): string | undefined {
  if (!output) return undefined;
  try {
    const id = (JSON.parse(output) as { Build?: { Id?: unknown } }).Build?.Id;
    if (typeof id === 'string') return id;
  } catch {
    // Truncated output: the ARN comes early in it.
  }
  return /arn:aws[a-z-]*:codebuild:[^:"]*:\d*:build\/([^"]+)"/.exec(output)?.[1];
}

/** `<project>:<uuid>`: CodeBuild's default log group and stream of a build. */
function defaultLogOf(buildId: string): { logGroup: string; logStream: string; projectName: string } {
  const colon = buildId.lastIndexOf(':');
  const projectName = colon === -1 ? buildId : buildId.slice(0, colon);
  return { logGroup: `/aws/codebuild/${projectName}`, logStream: buildId.slice(colon + 1), projectName };
}

const variable = (build: Build, name: string) =>
  build.environment?.environmentVariables?.find((each) => each.name === name)?.value;

/**
 * A build as `pushgate logs` shows it: its target from the PUSHGATE_PROJECT / PUSHGATE_ENVIRONMENT
 * variables the workflow gives every build (or the target record naming it), its phase from the
 * project (`<service>-<stage>-plan` or `-apply`, serverless.yml) or the record, its log where
 * CodeBuild says (or CodeBuild's default, `/aws/codebuild/<project>` and the id's suffix).
 */
export function describeRunBuild(
  buildId: string,
  build: Build | undefined,
  targets: readonly TargetRecord[],
): RunBuild {
  const fallback = defaultLogOf(buildId);
  const record = targets.find((target) => target.planBuildId === buildId || target.applyBuildId === buildId);
  const projectName = build?.projectName ?? fallback.projectName;
  const phase: RunBuild['phase'] =
    record?.applyBuildId === buildId || (!record && /-apply$/.test(projectName)) ? 'apply' : 'plan';
  return {
    project: (build && variable(build, 'PUSHGATE_PROJECT')) ?? record?.project ?? '?',
    environment: (build && variable(build, 'PUSHGATE_ENVIRONMENT')) ?? record?.environment ?? '?',
    phase,
    buildId,
    status: build?.buildStatus ?? 'UNKNOWN',
    complete: build ? build.buildComplete === true : true,
    logGroup: build?.logs?.groupName ?? fallback.logGroup,
    logStream: build?.logs?.streamName ?? fallback.logStream,
    ...(build?.startTime ? { startTime: build.startTime } : {}),
    ...(build?.endTime ? { endTime: build.endTime } : {}),
  };
}

/** ` 12s`: how long the build ran (so far), or nothing when CodeBuild does not say. */
function durationOf(build: RunBuild, now: Date): string {
  const end = build.endTime ?? (build.complete ? undefined : now);
  if (!build.startTime || !end) return '';
  return ` ${Math.max(0, Math.round((end.getTime() - build.startTime.getTime()) / 1000))}s`;
}

/** `== app/prod plan  build pushgate-prod-plan:…  SUCCEEDED 12s`: before a build's lines. */
export function buildHeader(build: RunBuild, now = new Date()): string {
  return `== ${build.project}/${build.environment} ${build.phase}  build ${build.buildId}  ${build.status}${durationOf(build, now)}`;
}

/** `== app/prod plan  SUCCEEDED 12s`: after a followed build's last line. */
export function buildFooter(build: RunBuild, now = new Date()): string {
  return `== ${build.project}/${build.environment} ${build.phase}  ${build.status}${durationOf(build, now)}`;
}
