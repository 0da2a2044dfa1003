import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { createDynamoStore } from '../functions/lib/store/index.ts';
import type { Store } from '../functions/lib/store/types.ts';
import { installPostReceiveHook } from './git/install-hook.ts';
import { git } from './git/local-repository.ts';
import { createRunProgress } from './run-progress.ts';
import type { ExecutionSummary } from './stepfunctions/create-local-step-functions.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from './stack.ts';

export interface DevServerOptions {
  port?: number;
  /** Keep DynamoDB, S3, the bare repository and the webhook secret here across restarts. */
  dataDir?: string;
  /** `owner/name` of the repository pushes deploy; default `local/infra`. */
  repo?: string;
  /** Where `command` projects of the example repository deploy to. */
  deployRoot?: string;
  timeScale?: number;
  extraPath?: string[];
  /** Progress lines (steps, outcomes, Slack messages). */
  write?: (line: string) => void;
  onEvent?: LocalStackOptions['onEvent'];
}

/** What `pushgate dev --json` prints, as one line, when it is ready. */
export interface DevReadyInfo {
  webhookUrl: string;
  secret: string;
  endpoints: LocalStack['endpoints'];
  tableName: string;
  /** The artifact bucket (plan.bin / plan.json under runs/<runId>/…). */
  bucket: string;
  stateMachineArn: string;
  /** The local GitHub's token, for Octokit pointed at endpoints.github; it guards nothing real. */
  githubToken: string;
  /** The bare repository to push to. */
  remote: string;
  repo: string;
  deployRoot: string;
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
  const deployRoot = resolve(options.deployRoot ?? join(scratch, 'deployed'));
  const write = options.write ?? (() => undefined);

  let progress: ((event: HistoryEvent, execution: ExecutionSummary) => Promise<void>) | undefined;
  const stack = await startLocalStack({
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(dataDir ? { dataDir } : {}),
    webhookSecret: secret,
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
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const store = createDynamoStore({ tableName: stack.tableName, client });
    progress = createRunProgress({ store, write });

    const remote = join(scratch, 'repos', `${repo.split('/')[1]}.git`);
    if (!existsSync(join(remote, 'HEAD'))) {
      await mkdir(join(scratch, 'repos'), { recursive: true });
      await git(scratch, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
    }
    stack.addRepository(repo, remote);
    // The webhook URL changes with the port on every start; the hook's config follows it.
    await installPostReceiveHook(remote, { webhookUrl: stack.webhookUrl, secret, repoFullName: repo, force: true });

    return {
      stack,
      store,
      remote,
      repo,
      deployRoot,
      readyInfo: () => ({
        webhookUrl: stack.webhookUrl,
        secret,
        endpoints: stack.endpoints,
        tableName: stack.tableName,
        bucket: stack.bucket,
        stateMachineArn: stack.stateMachineArn,
        githubToken: stack.githubToken,
        remote,
        repo,
        deployRoot,
      }),
      async stop() {
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
