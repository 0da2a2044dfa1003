import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Build,
  EnvironmentVariable,
  EnvironmentVariableType,
  ListBuildsForProjectInput,
  ListBuildsForProjectOutput,
  StartBuildInput,
} from '@aws-sdk/client-codebuild';
import { resolveBuildEnvironment, type LocalBuildEnvironment } from './build-environment.ts';
import type { LogsApi } from '../logs/logs-api.ts';
import { BuildLogWriter } from './build-log-writer.ts';
import { BuildQueue, buildConcurrency, buildQueueLimit } from './build-queue.ts';
import type { CodeBuildApi } from './codebuild-api.ts';
import { BuildQueueFullError, LocalCodeBuildError } from './errors.ts';
import { s3ObjectReader, type ReadS3Object } from './read-s3-object.ts';
import { BuildRun } from './run-build.ts';

export interface LocalCodeBuildProject {
  environmentVariables?: Array<{ name: string; value: string; type?: EnvironmentVariableType }>;
  /** Build timeout; CodeBuild's default is 60. Fractions are allowed locally (tests). */
  timeoutMinutes?: number;
  /** How long a build may wait in QUEUED before it ends TIMED_OUT; CodeBuild's default is 480. Fractions allowed. */
  queuedTimeoutMinutes?: number;
  /** Used when StartBuild has no `buildspecOverride`: inline YAML or a path in the source. */
  buildspec?: string;
  /** Used when StartBuild has no `sourceLocationOverride`. */
  sourceLocation?: string;
  /**
   * What a build gets without environment overrides (default: infra/codebuild.yml's, EC2 small). The
   * build records the environment it was given; it runs with bash here whatever the compute.
   */
  environment?: LocalBuildEnvironment;
}

export interface LocalCodeBuildOptions {
  projects: Record<string, LocalCodeBuildProject>;
  /** Each build gets a fresh directory under it (`<project>-<uuid>/src` is CODEBUILD_SRC_DIR). */
  workRoot: string;
  /** Put on PATH after the `aws` stand-in and before the inherited PATH (e.g. a fake `terraform`). */
  extraPath?: string[];
  /**
   * Variables every build sees, e.g. AWS_ENDPOINT_URL_S3 and dummy credentials of the local stack.
   * Of this process' own environment only PATH, HOME, USER, locale and TMPDIR are passed on, so
   * secrets of the developer's shell never reach a build.
   */
  env?: Record<string, string>;
  /** Values of PARAMETER_STORE / SECRETS_MANAGER variables by parameter name or secret id. */
  secrets?: Record<string, string>;
  /** Maps a source location (e.g. https://github.com/o/r.git) to what `git clone` reads locally. */
  resolveSourceLocation?: (location: string) => string;
  /** Keep build workspaces for debugging; by default they are removed when a build completes. */
  keepWorkspaces?: boolean;
  region?: string;
  accountId?: string;
  /** Every log line of every build as it is written (progress printing). */
  onLog?: (buildId: string, line: string) => void;
  /**
   * CloudWatch Logs (the local stand-in's client): each build's log goes to group
   * `/aws/codebuild/<project>`, stream `<build id suffix>`, as CodeBuild sends it; not sent when absent.
   */
  logs?: LogsApi;
  /** A build's log could not be written to `logs` (the build goes on). */
  onLogsError?: (buildId: string, error: unknown) => void;
  /**
   * How many builds run at once; the others wait in the QUEUED phase, first in, first out, as builds
   * beyond the account's concurrent build quota do on CodeBuild. Default: PUSHGATE_LOCAL_BUILD_CONCURRENCY,
   * else the machine's parallelism (at least 2).
   */
  concurrency?: number;
  /**
   * How many builds may wait in QUEUED; StartBuild beyond it fails with AccountLimitExceededException,
   * as CodeBuild's does. Default: PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT, else five times `concurrency` (CodeBuild's rule).
   */
  queueLimit?: number;
  /**
   * Reads a `BuildspecOverride` given as `arn:aws:s3:::bucket/key`. Default: the S3 that `env` names
   * (AWS_ENDPOINT_URL_S3, with its AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), as the local stack sets it.
   */
  readS3Object?: ReadS3Object;
}

export interface LocalCodeBuild extends CodeBuildApi {
  /** Build ids of a project, newest first (what executionEnded reads to stop a run's apply). */
  listBuildsForProject(input: ListBuildsForProjectInput): Promise<ListBuildsForProjectOutput>;
  /** The build's log as CodeBuild would send it to CloudWatch Logs. */
  getLogs(buildId: string): string;
  /** Resolves with the build once it is complete. */
  waitForBuild(buildId: string): Promise<Build>;
  /** Stops every running build and waits for them to finish. */
  close(): Promise<void>;
  /** How many builds may run at once and wait at most, and how many run and wait now. */
  capacity(): { limit: number; queueLimit: number; running: number; queued: number };
}

/** The directory of the `aws` stand-in put first on every build's PATH. */
export const AWS_STAND_IN_DIR = fileURLToPath(new URL('./bin/', import.meta.url)).replace(/\/$/, '');

/** The only variables of this process passed on to builds (see `env`). */
const INHERITED = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TERM)$/;

interface BuildRecord {
  build: Build;
  logs: string[];
  run: BuildRun;
}

/**
 * CodeBuild's StartBuild / BatchGetBuilds / ListBuildsForProject / StopBuild on this machine: each build clones its source
 * into a fresh workspace and runs the buildspec with bash (see BuildRun). Builds run in the background,
 * at most `concurrency` at once; the others wait in QUEUED, first in, first out (BuildQueue), and end
 * TIMED_OUT past their queued timeout. The returned objects are snapshots in the API's shape.
 */
export function createLocalCodeBuild(options: LocalCodeBuildOptions): LocalCodeBuild {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const builds = new Map<string, BuildRecord>();
  const buildNumbers = new Map<string, number>();
  const concurrency = buildConcurrency(options.concurrency);
  const queue = new BuildQueue(concurrency, buildQueueLimit(options.queueLimit, concurrency));
  const s3 = options.readS3Object ? undefined : s3ObjectReader({ ...options.env }, region);
  const readS3Object = options.readS3Object ?? s3!.read;
  const baseEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => INHERITED.test(entry[0]) && entry[1] !== undefined,
      ),
    ),
    ...options.env,
  };

  function find(id: string): BuildRecord {
    const record = builds.get(id) ?? [...builds.values()].find((candidate) => candidate.build.arn === id);
    if (!record) throw new LocalCodeBuildError('ResourceNotFoundException', `Build not found: ${id}`);
    return record;
  }

  async function startBuild(input: StartBuildInput) {
    const projectName = input.projectName;
    if (!projectName) throw new LocalCodeBuildError('InvalidInputException', 'projectName is required');
    const project = options.projects[projectName];
    if (!project) {
      throw new LocalCodeBuildError(
        'ResourceNotFoundException',
        `Project cannot be found: arn:aws:codebuild:${region}:${accountId}:project/${projectName}`,
      );
    }
    // Refused before the build exists, as CodeBuild refuses an invalid StartBuild.
    const resolved = resolveBuildEnvironment(project, input);
    // CodeBuild refuses a build that would wait in a full queue; the build does not exist then.
    if (queue.full)
      throw new LocalCodeBuildError('AccountLimitExceededException', new BuildQueueFullError(queue.queueLimit).message);
    const uuid = randomUUID();
    const id = `${projectName}:${uuid}`;
    const buildNumber = (buildNumbers.get(projectName) ?? 0) + 1;
    buildNumbers.set(projectName, buildNumber);
    const now = new Date();
    const timeoutMinutes = resolved.timeoutMinutes;
    const environmentVariables = mergeVariables(
      project.environmentVariables ?? [],
      input.environmentVariablesOverride ?? [],
    );
    const location = input.sourceLocationOverride ?? project.sourceLocation;
    const source = {
      type: input.sourceTypeOverride ?? (location ? 'GITHUB' : 'NO_SOURCE'),
      location,
      buildspec: input.buildspecOverride ?? project.buildspec,
    };
    const groupName = `/aws/codebuild/${projectName}`;
    const build: Build = {
      id,
      arn: `arn:aws:codebuild:${region}:${accountId}:build/${id}`,
      buildNumber,
      startTime: now,
      currentPhase: 'SUBMITTED',
      buildStatus: 'IN_PROGRESS',
      sourceVersion: input.sourceVersion,
      projectName,
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: now, endTime: now, durationInSeconds: 0 },
      ],
      source: {
        type: source.type as NonNullable<Build['source']>['type'],
        location: source.location,
        buildspec: source.buildspec,
        insecureSsl: false,
      },
      artifacts: { location: '' },
      cache: { type: 'NO_CACHE' },
      environment: {
        ...resolved.environment,
        environmentVariables,
        privilegedMode: false,
        imagePullCredentialsType: 'CODEBUILD',
      },
      serviceRole: input.serviceRoleOverride ?? `arn:aws:iam::${accountId}:role/pushgate-local-codebuild`,
      logs: {
        groupName,
        streamName: uuid,
        deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${region}#logEvent:group=${groupName};stream=${uuid}`,
        cloudWatchLogsArn: `arn:aws:logs:${region}:${accountId}:log-group:${groupName}:log-stream:${uuid}`,
        cloudWatchLogs: { status: 'ENABLED' },
        s3Logs: { status: 'DISABLED' },
      },
      timeoutInMinutes: timeoutMinutes,
      ...(resolved.queuedTimeoutMinutes === undefined ? {} : { queuedTimeoutInMinutes: resolved.queuedTimeoutMinutes }),
      buildComplete: false,
      initiator: 'pushgate-local',
      encryptionKey: `arn:aws:kms:${region}:${accountId}:alias/aws/s3`,
    };
    const logs: string[] = [];
    const writer = options.logs
      ? new BuildLogWriter({
          logs: options.logs,
          groupName,
          streamName: uuid,
          onError: (error) => options.onLogsError?.(id, error),
        })
      : undefined;
    const run = new BuildRun({
      build,
      source,
      environmentVariables,
      timeoutMs: timeoutMinutes * 60_000,
      // Lambda compute has no queued timeout (resolveBuildEnvironment leaves it out).
      ...(resolved.queuedTimeoutMinutes === undefined
        ? {}
        : { queuedTimeoutMs: resolved.queuedTimeoutMinutes * 60_000 }),
      ticket: queue.enter(),
      workspace: join(options.workRoot, `${projectName}-${uuid}`),
      keepWorkspace: options.keepWorkspaces ?? false,
      baseEnv,
      pathPrefix: [AWS_STAND_IN_DIR, ...(options.extraPath ?? [])],
      region,
      secrets: options.secrets ?? {},
      resolveSourceLocation: options.resolveSourceLocation,
      readS3Object,
      log: (line) => {
        logs.push(line);
        writer?.write(line);
        options.onLog?.(id, line);
      },
      ...(writer ? { flushLogs: () => writer.flush() } : {}),
    });
    builds.set(id, { build, logs, run });
    return { build: snapshot(build) };
  }

  return {
    startBuild,
    async batchGetBuilds(input) {
      const found: Build[] = [];
      const notFound: string[] = [];
      for (const id of input.ids ?? []) {
        const record = builds.get(id) ?? [...builds.values()].find((candidate) => candidate.build.arn === id);
        if (record) found.push(snapshot(record.build));
        else notFound.push(id);
      }
      return { builds: found, buildsNotFound: notFound };
    },
    async listBuildsForProject(input) {
      if (!input.projectName || !options.projects[input.projectName]) {
        throw new LocalCodeBuildError(
          'ResourceNotFoundException',
          `Project cannot be found: ${input.projectName ?? ''}`,
        );
      }
      // Newest first, as CodeBuild's default sortOrder DESCENDING; one page (the workflow reads the newest 100).
      const ids = [...builds.values()]
        .filter((record) => record.build.projectName === input.projectName)
        .map((record) => record.build.id!)
        .reverse();
      return { ids: input.sortOrder === 'ASCENDING' ? ids.reverse() : ids.slice(0, 100) };
    },
    async stopBuild(input) {
      if (!input.id) throw new LocalCodeBuildError('InvalidInputException', 'id is required');
      const record = find(input.id);
      record.run.stop();
      return { build: snapshot(record.build) };
    },
    getLogs(buildId) {
      return find(buildId).logs.join('\n');
    },
    async waitForBuild(buildId) {
      const record = find(buildId);
      await record.run.done;
      return snapshot(record.build);
    },
    capacity() {
      return { limit: queue.limit, queueLimit: queue.queueLimit, running: queue.active, queued: queue.queued };
    },
    async close() {
      const running = [...builds.values()].filter((record) => !record.build.buildComplete);
      for (const record of running) record.run.stop();
      await Promise.all(running.map((record) => record.run.done));
      s3?.close();
    },
  };
}

/** Project variables, replaced by name by the StartBuild overrides (which take precedence). */
function mergeVariables(
  project: NonNullable<LocalCodeBuildProject['environmentVariables']>,
  overrides: EnvironmentVariable[],
): EnvironmentVariable[] {
  const merged = new Map<string, EnvironmentVariable>();
  for (const variable of [...project, ...overrides]) {
    if (!variable.name) continue;
    merged.set(variable.name, { name: variable.name, value: variable.value ?? '', type: variable.type ?? 'PLAINTEXT' });
  }
  return [...merged.values()];
}

function snapshot(build: Build): Build {
  return structuredClone(build);
}
