import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Build, BuildPhase, BuildPhaseType, EnvironmentVariable, StatusType } from '@aws-sdk/client-codebuild';
import {
  isInlineBuildspec,
  parseBuildspec,
  s3BuildspecLocation,
  type Buildspec,
  type BuildspecPhase,
  type BuildspecPhaseName,
} from './buildspec.ts';
import type { BuildTicket } from './build-queue.ts';
import { BuildspecDownloadError, BuildspecError } from './errors.ts';
import type { ReadS3Object } from './read-s3-object.ts';
import { ShellSession } from './shell-session.ts';

/** Everything one build needs; the build object is owned (and updated in place) by the run. */
export interface BuildRunOptions {
  build: Build;
  /** The project's settings after `*Override` fields are applied. */
  source: { type: string; location?: string; buildspec?: string };
  /** Project variables overridden by name by `environmentVariablesOverride`. */
  environmentVariables: EnvironmentVariable[];
  /** Counted from the end of the QUEUED phase, as CodeBuild's build timeout is. */
  timeoutMs: number;
  /** The build's place in the local queue (BuildQueue); the build leaves QUEUED once admitted. */
  ticket: BuildTicket;
  /** A build still QUEUED after this long ends TIMED_OUT without running (queuedTimeoutInMinutes). */
  queuedTimeoutMs?: number;
  /** A fresh directory for this build: `src/` is CODEBUILD_SRC_DIR. */
  workspace: string;
  keepWorkspace: boolean;
  /** Environment every build starts from (before CodeBuild's and the build's own variables). */
  baseEnv: Record<string, string>;
  /** Directories put first on PATH, the `aws` stand-in's first. */
  pathPrefix: string[];
  region: string;
  /** Values of PARAMETER_STORE / SECRETS_MANAGER variables, by parameter name or secret id. */
  secrets: Record<string, string>;
  resolveSourceLocation?: (location: string) => string;
  /** Reads a buildspec given as `arn:aws:s3:::bucket/key`. */
  readS3Object: ReadS3Object;
  /** Receives every log line (already masked). */
  log: (line: string) => void;
  /** Sends the log lines written so far to CloudWatch Logs; awaited before the build is complete. */
  flushLogs?: () => Promise<void>;
}

type Interruption = 'STOPPED' | 'TIMED_OUT';

/** A build that never left QUEUED gets no container: no FINALIZING, nothing to clean up. */
type Stage = 'queued' | 'provisioned';

interface PhaseContext {
  statusCode: string;
  message: string;
}

/** Where the build goes after a phase of the buildspec fails, by CodeBuild's phase transitions. */
type Next = 'next' | 'post_build' | 'finalize';

const BUILDSPEC_PHASES: Array<[BuildspecPhaseName, BuildPhaseType]> = [
  ['install', 'INSTALL'],
  ['pre_build', 'PRE_BUILD'],
  ['build', 'BUILD'],
  ['post_build', 'POST_BUILD'],
];

/**
 * Runs one build through CodeBuild's phases, in a workspace on this machine.
 * Phase transitions (https://docs.aws.amazon.com/codebuild/latest/userguide/view-build-details-phases.html
 * and the buildspec reference): a failure in INSTALL or PRE_BUILD skips to FINALIZING; a failure in
 * BUILD still runs POST_BUILD; UPLOAD_ARTIFACTS is attempted after BUILD and POST_BUILD whatever
 * their outcome; `on-failure: ABORT` skips to FINALIZING and `on-failure: CONTINUE` goes on to the
 * next phase. `finally` commands run even when a command of `commands` failed.
 */
export class BuildRun {
  readonly done: Promise<void>;
  private interrupted: Interruption | undefined;
  private session: ShellSession | undefined;
  private git: { pid: number } | undefined;
  private failed = false;
  private secretValues: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stage: Stage = 'queued';
  /** Settles the QUEUED phase's wait when the build is stopped or times out while queued. */
  private readonly interruption: Promise<void>;
  private interrupting: () => void = () => undefined;

  constructor(private readonly options: BuildRunOptions) {
    this.interruption = new Promise((resolve) => (this.interrupting = resolve));
    if (options.queuedTimeoutMs !== undefined)
      this.timer = setTimeout(() => this.interrupt('TIMED_OUT'), options.queuedTimeoutMs);
    this.done = this.run().finally(() => options.ticket.leave());
  }

  /** StopBuild: the build ends as STOPPED and every process it started is killed. */
  stop(): void {
    this.interrupt('STOPPED');
  }

  private get build(): Build {
    return this.options.build;
  }

  private interrupt(kind: Interruption): void {
    if (this.build.buildComplete || this.interrupted) return;
    this.interrupted = kind;
    this.interrupting();
    this.container(
      kind === 'TIMED_OUT'
        ? `Build timed out${this.stage === 'queued' ? ' while queued' : ''}`
        : 'Build stop requested',
    );
    void this.session?.kill();
    if (this.git) killGroup(this.git.pid);
  }

  private async run(): Promise<void> {
    const srcDir = join(this.options.workspace, 'src');
    const scratchDir = join(this.options.workspace, 'scratch');
    let buildspec: Buildspec | undefined;
    let env: Record<string, string> = {};
    try {
      const queued = await this.phase('QUEUED', async () => {
        await Promise.race([this.options.ticket.admitted, this.interruption]);
        return undefined;
      });
      if (queued !== 'SUCCEEDED') return;
      this.stage = 'provisioned';
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.interrupt('TIMED_OUT'), this.options.timeoutMs);
      this.container('Running on the pushgate local CodeBuild stand-in');
      const provisioned = await this.phase('PROVISIONING', async () => {
        await mkdir(srcDir, { recursive: true });
        await mkdir(scratchDir, { recursive: true });
        const resolved = this.resolveVariables(
          this.options.environmentVariables.map((v) => [v.name ?? '', v.value ?? '', v.type ?? 'PLAINTEXT']),
        );
        if ('error' in resolved) return resolved.error;
        env = resolved.values;
        return undefined;
      });
      if (provisioned !== 'SUCCEEDED') return;

      const downloaded = await this.phase('DOWNLOAD_SOURCE', async () => {
        const checkout = await this.checkout(srcDir);
        if (checkout) return checkout;
        try {
          buildspec = parseBuildspec(await this.readBuildspec(srcDir));
        } catch (error) {
          if (error instanceof BuildspecError) return { statusCode: 'YAML_FILE_ERROR', message: error.message };
          if (error instanceof BuildspecDownloadError) return { statusCode: 'CLIENT_ERROR', message: error.message };
          throw error;
        }
        const fromBuildspec = this.resolveVariables([
          ...Object.entries(buildspec.env?.variables ?? {}).map(([k, v]) => [k, v, 'PLAINTEXT'] as const),
          ...Object.entries(buildspec.env?.['parameter-store'] ?? {}).map(
            ([k, v]) => [k, v, 'PARAMETER_STORE'] as const,
          ),
          ...Object.entries(buildspec.env?.['secrets-manager'] ?? {}).map(
            ([k, v]) => [k, v, 'SECRETS_MANAGER'] as const,
          ),
        ]);
        if ('error' in fromBuildspec) return fromBuildspec.error;
        // The start build call wins over the project, which wins over the buildspec.
        env = { ...fromBuildspec.values, ...env };
        return undefined;
      });
      if (downloaded !== 'SUCCEEDED' || !buildspec) return;

      const shell = buildspec.env?.shell === 'bash' || buildspec.env?.shell === undefined ? 'bash' : 'sh';
      const sessionOptions = {
        shell,
        cwd: srcDir,
        env: this.environment(env, srcDir),
        scratchDir,
        onOutput: (line: string) => this.output(line),
      } as const;
      this.session = new ShellSession(sessionOptions);

      let skipTo: 'post_build' | 'finalize' | undefined;
      for (const [name, type] of BUILDSPEC_PHASES) {
        if (skipTo === 'finalize') break;
        if (skipTo === 'post_build' && name !== 'post_build') continue;
        skipTo = undefined;
        let next: Next = 'next';
        const status = await this.phase(type, async () => {
          const failure = await this.runCommands(buildspec!.phases[name], sessionOptions);
          if (failure) next = this.afterFailure(name, buildspec!.phases[name]?.['on-failure']);
          return failure;
        });
        if (status !== 'SUCCEEDED' && this.interrupted) return;
        if (next !== 'next') skipTo = next;
      }
      if (skipTo !== 'finalize') {
        await this.phase('UPLOAD_ARTIFACTS', async () => {
          if (buildspec?.artifacts !== undefined)
            this.container('artifacts are not uploaded by the local stand-in; use aws s3 cp in a command');
          return undefined;
        });
      }
    } catch (error) {
      this.fault(error);
    } finally {
      clearTimeout(this.timer);
      await this.finalize(buildspec);
    }
  }

  /** Runs `commands` then `finally`; returns the first failure. */
  private async runCommands(
    phase: BuildspecPhase | undefined,
    sessionOptions: ConstructorParameters<typeof ShellSession>[0],
  ): Promise<PhaseContext | undefined> {
    this.session!.setVariable('CODEBUILD_BUILD_SUCCEEDING', this.failed ? '0' : '1');
    let failure: PhaseContext | undefined;
    for (const block of [phase?.commands ?? [], phase?.finally ?? []]) {
      for (const command of block) {
        if (this.interrupted) return undefined;
        this.container(`Running command ${command}`);
        if (!this.session!.alive) {
          this.container('The previous command ended the shell session; starting a new one');
          this.session = new ShellSession(sessionOptions);
          this.session.setVariable('CODEBUILD_BUILD_SUCCEEDING', this.failed || failure ? '0' : '1');
        }
        const result = await this.session!.run(command);
        if (this.interrupted) return undefined;
        if (result.exitCode !== 0) {
          this.container(`Command did not exit successfully ${command} exit status ${result.exitCode}`);
          failure ??= {
            statusCode: 'COMMAND_EXECUTION_ERROR',
            message: `Error while executing command: ${command}. Reason: exit status ${result.exitCode}`,
          };
          break;
        }
      }
    }
    return failure;
  }

  private afterFailure(name: BuildspecPhaseName, onFailure: 'ABORT' | 'CONTINUE' | undefined): Next {
    if (onFailure === 'ABORT') return 'finalize';
    if (onFailure === 'CONTINUE') return 'next';
    if (name === 'install' || name === 'pre_build') return 'finalize';
    if (name === 'build') return 'post_build';
    return 'next';
  }

  /** Runs one phase: records it as CodeBuild does and returns its status. */
  private async phase(type: BuildPhaseType, body: () => Promise<PhaseContext | undefined>): Promise<StatusType> {
    const phase: BuildPhase = { phaseType: type, startTime: new Date() };
    this.build.phases!.push(phase);
    this.build.currentPhase = type;
    this.container(`Entering phase ${type}`);
    let context: PhaseContext | undefined;
    let status: StatusType;
    if (this.interrupted) {
      status = this.interrupted;
    } else {
      context = await body();
      status = this.interrupted ?? (context ? 'FAILED' : 'SUCCEEDED');
    }
    if (this.interrupted) {
      const limitMinutes = (type === 'QUEUED' ? (this.options.queuedTimeoutMs ?? 0) : this.options.timeoutMs) / 60_000;
      context = {
        statusCode: this.interrupted === 'TIMED_OUT' ? 'BUILD_TIMED_OUT' : 'BUILD_STOPPED',
        message:
          this.interrupted === 'TIMED_OUT'
            ? `Build has timed out after ${type === 'QUEUED' ? 'being queued for ' : ''}${limitMinutes} minutes`
            : 'Build was stopped',
      };
    }
    if (status === 'FAILED') this.failed = true;
    this.endPhase(phase, status, context);
    return status;
  }

  private endPhase(phase: BuildPhase, status: StatusType, context?: PhaseContext): void {
    phase.phaseStatus = status;
    phase.endTime = new Date();
    phase.durationInSeconds = Math.round((phase.endTime.getTime() - phase.startTime!.getTime()) / 1000);
    phase.contexts = [context ?? { statusCode: '', message: '' }];
    this.container(`Phase complete: ${phase.phaseType} State: ${status}`);
    this.container(`Phase context status code: ${context?.statusCode ?? ''} Message: ${context?.message ?? ''}`);
  }

  private fault(error: unknown): void {
    const current = this.build.phases!.at(-1);
    const message = error instanceof Error ? error.message : String(error);
    this.container(`Local CodeBuild fault: ${message}`);
    if (current && current.phaseStatus === undefined)
      this.endPhase(current, 'FAULT', { statusCode: 'CLIENT_ERROR', message });
    this.build.buildStatus = 'FAULT';
  }

  private async finalize(buildspec: Buildspec | undefined): Promise<void> {
    if (this.stage === 'queued') return this.complete();
    const finalizing: BuildPhase = { phaseType: 'FINALIZING', startTime: new Date() };
    this.build.phases!.push(finalizing);
    this.build.currentPhase = 'FINALIZING';
    this.container('Entering phase FINALIZING');
    try {
      const exported = buildspec?.env?.['exported-variables'] ?? [];
      if (exported.length > 0 && this.session?.alive && !this.interrupted) {
        const values = await this.session.readVariables(exported);
        this.build.exportedEnvironmentVariables = exported.map((name) => ({ name, value: values[name] ?? '' }));
      }
    } catch (error) {
      this.container(`could not read the exported variables: ${(error as Error).message}`);
    }
    // The container goes away at the end of a build; so does every process it started.
    await this.session?.kill();
    if (!this.options.keepWorkspace) {
      await rm(this.options.workspace, { recursive: true, force: true }).catch((error: Error) =>
        this.container(`could not remove the workspace ${this.options.workspace}: ${error.message}`),
      );
    }
    this.endPhase(finalizing, 'SUCCEEDED');
    await this.complete();
  }

  /** The COMPLETED phase and the build's status; the build reads as complete only after its log is stored. */
  private async complete(): Promise<void> {
    this.build.phases!.push({ phaseType: 'COMPLETED', startTime: new Date() });
    this.build.currentPhase = 'COMPLETED';
    const status =
      this.build.buildStatus === 'FAULT' ? 'FAULT' : (this.interrupted ?? (this.failed ? 'FAILED' : 'SUCCEEDED'));
    this.container(`Build ${this.build.id} ${status}`);
    // The whole log is stored before the build reads as complete: a reader that sees it complete misses nothing.
    await this.options.flushLogs?.();
    this.build.buildStatus = status;
    this.build.endTime = new Date();
    this.build.buildComplete = true;
  }

  private async checkout(srcDir: string): Promise<PhaseContext | undefined> {
    const { type, location } = this.options.source;
    if (type === 'NO_SOURCE' || !location) return undefined;
    const from = this.options.resolveSourceLocation?.(location) ?? location;
    const clone = await this.runGit(['clone', '--quiet', '--no-checkout', from, srcDir], this.options.workspace);
    if (clone.code !== 0)
      return { statusCode: 'CLIENT_ERROR', message: `git clone of ${location} failed: ${clone.stderr.trim()}` };
    const version = this.build.sourceVersion;
    let checkout = await this.runGit(['checkout', '--quiet', '--force', version ?? 'HEAD'], srcDir);
    if (checkout.code !== 0 && version && !this.interrupted) {
      checkout = await this.runGit(['checkout', '--quiet', '--force', `origin/${version}`], srcDir);
    }
    if (checkout.code !== 0) {
      return {
        statusCode: 'CLIENT_ERROR',
        message: `reference not found for primary source and source version ${version}: ${checkout.stderr.trim()}`,
      };
    }
    const head = await this.runGit(['rev-parse', 'HEAD'], srcDir);
    if (head.code !== 0) return { statusCode: 'CLIENT_ERROR', message: head.stderr.trim() };
    this.build.resolvedSourceVersion = head.stdout.trim();
    this.container(`Checked out ${location} at ${this.build.resolvedSourceVersion}`);
    return undefined;
  }

  private async readBuildspec(srcDir: string): Promise<string> {
    const value = this.options.source.buildspec;
    if (value !== undefined && value.trim() !== '' && isInlineBuildspec(value)) return value;
    const inS3 = value === undefined ? undefined : s3BuildspecLocation(value);
    if (inS3) {
      try {
        return await this.options.readS3Object(inS3.bucket, inS3.key);
      } catch (error) {
        const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
        throw new BuildspecDownloadError(
          `failed to download the buildspec ${value!.trim()}: ${name}${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    }
    const path = resolve(srcDir, value?.trim() || 'buildspec.yml');
    const inside = relative(srcDir, path);
    if (inside.startsWith('..') || isAbsolute(inside))
      throw new BuildspecError(`the buildspec path ${value} is outside the source`);
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new BuildspecError(`stat ${inside}: no such file or directory`, { cause: error });
    }
  }

  /** Resolves [name, value, type] triples; PARAMETER_STORE and SECRETS_MANAGER values come from `secrets`. */
  private resolveVariables(
    variables: ReadonlyArray<readonly [string, string, string]>,
  ): { values: Record<string, string> } | { error: PhaseContext } {
    const values: Record<string, string> = {};
    for (const [name, value, type] of variables) {
      if (type === 'PLAINTEXT') {
        values[name] = value;
        continue;
      }
      const secret = lookupSecret(this.options.secrets, value, type);
      if (secret === undefined) {
        return {
          error: {
            statusCode: type === 'PARAMETER_STORE' ? 'ParameterNotFound' : 'ResourceNotFoundException',
            message: `${type === 'PARAMETER_STORE' ? 'parameter' : 'secret'} ${value} for ${name} is not among the local stand-in's secrets`,
          },
        };
      }
      values[name] = secret;
      if (secret !== '') this.secretValues.push(secret);
    }
    return { values };
  }

  /** The environment of the build's shell: CodeBuild's own variables cannot be overridden. */
  private environment(variables: Record<string, string>, srcDir: string): Record<string, string> {
    const build = this.build;
    const env: Record<string, string> = {
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      ...this.options.baseEnv,
      ...variables,
    };
    env.PATH = [...this.options.pathPrefix, env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
    // https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html
    Object.assign(env, {
      CODEBUILD_BUILD_ARN: build.arn!,
      CODEBUILD_BUILD_ID: build.id!,
      CODEBUILD_BUILD_NUMBER: String(build.buildNumber),
      CODEBUILD_BUILD_IMAGE: build.environment?.image ?? '',
      CODEBUILD_BUILD_SUCCEEDING: '1',
      CODEBUILD_INITIATOR: build.initiator ?? '',
      CODEBUILD_LOG_PATH: build.logs?.streamName ?? '',
      CODEBUILD_RESOLVED_SOURCE_VERSION: build.resolvedSourceVersion ?? '',
      CODEBUILD_SOURCE_REPO_URL: this.options.source.location ?? '',
      CODEBUILD_SOURCE_VERSION: build.sourceVersion ?? '',
      CODEBUILD_SRC_DIR: srcDir,
      CODEBUILD_START_TIME: String(build.startTime!.getTime()),
    });
    return env;
  }

  private async runGit(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
    if (this.interrupted) return { code: 1, stdout: '', stderr: 'the build was interrupted' };
    const child = spawn('git', args, {
      cwd,
      env: { ...this.options.baseEnv, GIT_TERMINAL_PROMPT: '0' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) this.git = { pid: child.pid };
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number>((done) => {
      child.once('error', (error) => {
        stderr += error.message;
        done(127);
      });
      child.once('close', (exitCode) => done(exitCode ?? 1));
    });
    this.git = undefined;
    return { code, stdout, stderr };
  }

  /** A line from CodeBuild itself, in its log format. */
  private container(message: string): void {
    this.options.log(`[Container] ${logTime(new Date())} ${message}`);
  }

  /** A line a command printed; secret values are masked as CodeBuild masks them. */
  private output(line: string): void {
    let masked = line;
    for (const secret of this.secretValues) masked = masked.replaceAll(secret, '***');
    this.options.log(masked);
  }
}

function lookupSecret(secrets: Record<string, string>, reference: string, type: string): string | undefined {
  if (reference in secrets) return secrets[reference];
  if (type !== 'SECRETS_MANAGER') return undefined;
  // secret-id:json-key:version-stage:version-id (https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.secrets-manager)
  const arnPrefix = reference.match(/^arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+/)?.[0];
  const secretId = arnPrefix ?? reference.split(':')[0]!;
  const jsonKey = reference.slice(secretId.length + 1).split(':')[0];
  const secret = secrets[secretId];
  if (secret === undefined || !jsonKey) return secret;
  try {
    const value = (JSON.parse(secret) as Record<string, unknown>)[jsonKey];
    return value === undefined ? undefined : String(value);
  } catch {
    return undefined;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: already gone.
  }
}

function logTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '/')} ${iso.slice(11, 23)}000`;
}
