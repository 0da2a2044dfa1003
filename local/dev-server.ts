import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { DriftCheckResult } from '../functions/lib/drift/drift-invocation.ts';
import { createDynamoStore } from '../functions/lib/store/index.ts';
import type { Store } from '../functions/lib/store/types.ts';
import { createLocalCredentials, isLocalCredentials, type LocalCredentials } from './aws/local-credentials.ts';
import { defaultLocalUsers, type LocalUser } from './github/start-github.ts';
import { installPostReceiveHook } from './git/install-hook.ts';
import { git } from './git/local-repository.ts';
import { createRunProgress } from './run-progress.ts';
import type { ExecutionSummary } from './stepfunctions/create-local-step-functions.ts';
import { startLocalStack, type LocalPorts, type LocalStack, type LocalStackOptions } from './stack.ts';

export interface DevServerOptions {
  /** Port of the webhook endpoint, which must be free (0 = any); default: the previous one (with a data directory). */
  port?: number;
  /** Keep DynamoDB, S3, the bare repository, the webhook secret and the AWS credentials here across restarts. */
  dataDir?: string;
  /** `owner/name` of the repository pushes deploy; default `local/infra`. */
  repo?: string;
  /** Where `command` projects of the example repository deploy to. */
  deployRoot?: string;
  timeScale?: number;
  extraPath?: string[];
  /** Progress lines (steps, outcomes, Slack messages). */
  write?: (line: string) => void;
  /**
   * Seconds between two ticks of the drift schedule (the drift function invoked with `{ source:
   * 'schedule' }`, as EventBridge Scheduler does every 15 minutes on AWS; a tick starts only the
   * checks that are due). 0 turns the schedule off. Default: PUSHGATE_DRIFT_TICK_SECONDS, else 60.
   */
  driftTickSeconds?: number;
  onEvent?: LocalStackOptions['onEvent'];
}

/** A person on the local GitHub, as `pushgate dev --json` prints them. */
export interface DevUser extends LocalUser {
  /** Commits with this author/committer email are pushed as this login. */
  email: string;
}

/** What `pushgate dev --json` prints, as one line, when it is ready. */
export interface DevReadyInfo {
  webhookUrl: string;
  secret: string;
  /**
   * The only AWS credentials the local AWS services accept (also in `exports`): random per start, or
   * kept in the data directory with `--data`.
   */
  credentials: LocalCredentials;
  endpoints: LocalStack['endpoints'];
  tableName: string;
  /** The artifact bucket (plan.bin / plan.json under runs/<runId>/…). */
  bucket: string;
  stateMachineArn: string;
  /** The local GitHub's token, for Octokit pointed at endpoints.github; it guards nothing real. */
  githubToken: string;
  /**
   * The local GitHub's people: an admin, a writer and a reader, each with a token that acts as them
   * (Octokit `auth`) and the commit email that makes a push theirs (`git -c user.email=…`).
   */
  github: { users: DevUser[] };
  /**
   * The local Slack app: interactions (the approval buttons) are POSTed to `actionsUrl` signed with
   * `signingSecret` (v0 HMAC), as Slack does; `messagesUrl` lists every message it received.
   */
  slack: { signingSecret: string; actionsUrl: string; apiUrl: string; messagesUrl: string; channel: string };
  /** The bare repository to push to. */
  remote: string;
  repo: string;
  deployRoot: string;
  /**
   * The environment that points the AWS CLI v2, the AWS SDK v3 and the pushgate CLI at this stack,
   * by the names they read (`AWS_ENDPOINT_URL_<service id>`): what `pushgate dev` prints as exports.
   */
  exports: Record<string, string>;
}

export interface DevServer {
  stack: LocalStack;
  store: Store;
  /** The bare repository to push to (`git remote add pushgate <remote>`). */
  remote: string;
  repo: string;
  deployRoot: string;
  /** The `--json` ready line. */
  readyInfo(): DevReadyInfo;
  stop(): Promise<void>;
}

/**
 * What `pushgate dev` runs: the local stack, a bare repository whose post-receive hook sends signed
 * `push` webhooks to it, and progress printing. With a data directory, the table, artifacts,
 * repository and secret survive a restart, so history does too.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  const scratch = dataDir ?? (await mkdtemp(join(tmpdir(), 'pushgate-dev-')));
  await mkdir(scratch, { recursive: true });
  const repo = options.repo ?? 'local/infra';
  const secret = await loadOrCreateSecret(dataDir);
  const credentials = await loadOrCreateCredentials(dataDir);
  const ports = await loadPorts(dataDir);
  const users = await loadOrCreateUsers(dataDir);
  const deployRoot = resolve(options.deployRoot ?? join(scratch, 'deployed'));
  const write = options.write ?? (() => undefined);

  let progress: ((event: HistoryEvent, execution: ExecutionSummary) => Promise<void>) | undefined;
  const stack = await startLocalStack({
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(dataDir ? { dataDir } : {}),
    ...(ports ? { ports } : {}),
    onPortTaken: (service, port) =>
      write(
        `pushgate dev: port ${port} (${service}) of the last start is taken; it gets a new one: export the new values`,
      ),
    webhookSecret: secret,
    credentials,
    githubUsers: users,
    allowedRepos: [repo],
    deployRoot,
    timeScale: options.timeScale ?? 0.1,
    ...(options.extraPath ? { extraPath: options.extraPath } : {}),
    onEvent: (event, execution) => {
      options.onEvent?.(event, execution);
      progress?.(event, execution).catch(() => undefined);
    },
    onSlack: (line) => write(`  slack: ${line}`),
  });
  try {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.endpoints.dynamodb,
      credentials: stack.credentials,
    });
    const store = createDynamoStore({ tableName: stack.tableName, client });
    progress = createRunProgress({ store, write });

    const remote = join(scratch, 'repos', `${repo.split('/')[1]}.git`);
    if (!existsSync(join(remote, 'HEAD'))) {
      await mkdir(join(scratch, 'repos'), { recursive: true });
      await git(scratch, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
    }
    stack.addRepository(repo, remote);
    // The webhook URL changes when its port does; the hook's config follows it.
    // Pushes are the committer's (email → login, as GitHub links them); the local GitHub is told of
    // every ref update, so a push to a pull request's branch sends `synchronize`.
    const devUsers: DevUser[] = users.map((user) => ({ ...user, email: `${user.login}@users.noreply.localhost` }));
    await installPostReceiveHook(remote, {
      webhookUrl: stack.webhookUrl,
      secret,
      repoFullName: repo,
      force: true,
      githubUrl: stack.github.url,
      githubToken: stack.githubToken,
      logins: Object.fromEntries(devUsers.map((user) => [user.email, user.login])),
    });
    if (dataDir) await savePorts(dataDir, stack.ports);
    const exports = devExports(stack, repo);
    const driftTicks = startDriftTicks(
      stack,
      options.driftTickSeconds ?? tickSecondsFromEnv('PUSHGATE_DRIFT_TICK_SECONDS'),
      write,
    );
    const sweepTicks = startLockSweepTicks(stack, tickSecondsFromEnv('PUSHGATE_LOCK_SWEEP_SECONDS'), write);

    return {
      stack,
      store,
      remote,
      repo,
      deployRoot,
      readyInfo: () => ({
        webhookUrl: stack.webhookUrl,
        secret,
        credentials: stack.credentials,
        endpoints: stack.endpoints,
        tableName: stack.tableName,
        bucket: stack.bucket,
        stateMachineArn: stack.stateMachineArn,
        githubToken: stack.githubToken,
        github: { users: devUsers },
        slack: {
          signingSecret: stack.slackApp.signingSecret,
          actionsUrl: stack.slackApp.actionsUrl,
          apiUrl: stack.slackApp.apiUrl,
          messagesUrl: `${stack.slack.url}/_local/messages`,
          channel: stack.slackApp.channel,
        },
        remote,
        repo,
        deployRoot,
        exports,
      }),
      async stop() {
        await Promise.all([driftTicks.stop(), sweepTicks.stop()]);
        client.destroy();
        await stack.stop();
        if (!dataDir) await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/**
 * The variables the AWS CLI and the AWS SDK v3 read: the service-specific endpoint variables are named
 * after each service's SDK id (Step Functions' is `SFN`, not `STEPFUNCTIONS`); S3 also needs the
 * checksum settings s3rver understands; the credentials are the stack's. PUSHGATE_TABLE and
 * PUSHGATE_REPO are for the pushgate CLI.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
function devExports(stack: LocalStack, repo: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: stack.endpoints.stepfunctions,
    AWS_ENDPOINT_URL_S3: stack.endpoints.s3,
    AWS_ENDPOINT_URL_CODEBUILD: stack.endpoints.codebuild,
    AWS_ENDPOINT_URL_LAMBDA: stack.endpoints.lambda,
    AWS_ENDPOINT_URL_STS: stack.endpoints.sts,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: stack.endpoints.logs,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_REGION: 'us-east-1',
    // The AWS CLI v1 reads only this one (v2 and the SDK read AWS_REGION).
    AWS_DEFAULT_REGION: 'us-east-1',
    // This start's credentials: the local services answer no others.
    AWS_ACCESS_KEY_ID: stack.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.credentials.secretAccessKey,
    PUSHGATE_TABLE: stack.tableName,
    PUSHGATE_REPO: repo,
  };
}

/** PUSHGATE_DRIFT_TICK_SECONDS: seconds between drift schedule ticks (0: off); 60 when unset. */
export function driftTickSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return tickSecondsFromEnv('PUSHGATE_DRIFT_TICK_SECONDS', env);
}

/** A local schedule's period from the environment: seconds between ticks (0: off); 60 when unset. */
function tickSecondsFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return 60;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`${name}=${JSON.stringify(text)}: expected seconds between ticks (0 = off)`);
  }
  return seconds;
}

/**
 * The drift schedule on this machine: every `seconds`, the drift function is invoked with `{ source:
 * 'schedule' }` (as EventBridge Scheduler does on AWS), which starts only the checks that are due. A
 * tick waits for the previous one; stop() waits for a tick in progress.
 */
export function startDriftTicks(
  stack: Pick<LocalStack, 'invokeDriftCheck'>,
  seconds: number,
  write: (line: string) => void,
): { stop(): Promise<void> } {
  return every(seconds, async () => {
    try {
      const result = (await stack.invokeDriftCheck({ source: 'schedule' })) as DriftCheckResult;
      for (const check of result.started) {
        write(
          `drift: scheduled check of ${check.repo} ${check.environment} at ${check.sha.slice(0, 7)}: ${check.projects.join(', ')} (run ${check.runId})`,
        );
      }
      for (const skipped of result.skipped.filter((each) => each.failed)) {
        write(`drift: ${skipped.repo} ${skipped.environment}: ${skipped.reason}`);
      }
    } catch (error) {
      write(`drift: the scheduled tick failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

/**
 * The lock sweep's schedule on this machine (EventBridge Scheduler every minute on AWS): hands locks
 * whose holder died (lease expired) to the runs parked on them. PUSHGATE_LOCK_SWEEP_SECONDS (default
 * 60, 0 = off).
 */
export function startLockSweepTicks(
  stack: Pick<LocalStack, 'invokeLockSweep'>,
  seconds: number,
  write: (line: string) => void,
): { stop(): Promise<void> } {
  return every(seconds, async () => {
    try {
      const result = (await stack.invokeLockSweep()) as { handedTo?: unknown[] } | undefined;
      const handed = result?.handedTo?.length ?? 0;
      if (handed > 0) write(`locks: the sweep handed ${handed} lock${handed === 1 ? '' : 's'} over to waiting runs`);
    } catch (error) {
      write(`locks: the sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

/** Calls `tick` every `seconds` (0: never), one call at a time; stop() waits for a call in progress. */
function every(seconds: number, tick: () => Promise<void>): { stop(): Promise<void> } {
  if (seconds === 0) return { stop: async () => undefined };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        schedule();
      });
    }, seconds * 1000);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

const PORTS_FILE = 'ports.json';

/** The ports of the previous start on this data directory, to use again (exports in other shells stay valid). */
async function loadPorts(dataDir: string | undefined): Promise<Partial<LocalPorts> | undefined> {
  if (!dataDir) return undefined;
  try {
    const saved = JSON.parse(await readFile(join(dataDir, PORTS_FILE), 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(saved).filter(
        ([, port]) => Number.isInteger(port) && (port as number) > 0 && (port as number) <= 65535,
      ),
    ) as Partial<LocalPorts>;
  } catch {
    return undefined; // first start, or a file that is not ours: any free ports
  }
}

async function savePorts(dataDir: string, ports: LocalPorts): Promise<void> {
  await writeFile(join(dataDir, PORTS_FILE), `${JSON.stringify(ports, null, 2)}\n`);
}

/** A data directory keeps its webhook secret, so hooks installed earlier keep working. */
async function loadOrCreateSecret(dataDir: string | undefined): Promise<string> {
  if (!dataDir) return randomBytes(20).toString('hex');
  const file = join(dataDir, 'webhook-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(20).toString('hex');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}

const CREDENTIALS_FILE = 'aws-credentials.json';

/**
 * A data directory keeps its AWS credentials, so the exports printed by an earlier start (and pasted
 * into other shells) stay valid; without one, every start has new ones. A file that does not hold
 * credentials is replaced.
 */
async function loadOrCreateCredentials(dataDir: string | undefined): Promise<LocalCredentials> {
  if (!dataDir) return createLocalCredentials();
  const file = join(dataDir, CREDENTIALS_FILE);
  try {
    const saved: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (isLocalCredentials(saved)) return { accessKeyId: saved.accessKeyId, secretAccessKey: saved.secretAccessKey };
  } catch {
    // First start on this directory (or an unreadable file): new credentials.
  }
  const credentials = createLocalCredentials();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

const USERS_FILE = 'github-users.json';

/** A data directory keeps the local GitHub's users and their tokens, as it keeps the AWS credentials. */
async function loadOrCreateUsers(dataDir: string | undefined): Promise<LocalUser[]> {
  if (!dataDir) return defaultLocalUsers();
  const file = join(dataDir, USERS_FILE);
  try {
    const saved: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (Array.isArray(saved) && saved.every(isLocalUser)) return saved;
  } catch {
    // First start on this directory: new users.
  }
  const users = defaultLocalUsers();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600 });
  return users;
}

function isLocalUser(value: unknown): value is LocalUser {
  if (typeof value !== 'object' || value === null) return false;
  const user = value as Record<string, unknown>;
  return typeof user.login === 'string' && typeof user.role === 'string' && typeof user.token === 'string';
}
