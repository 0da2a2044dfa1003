import './polyfills.ts';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { startApiGateway, type HttpApiHandler } from './api-gateway/start-api-gateway.ts';
import { createLocalCredentials, type LocalCredentials } from './aws/local-credentials.ts';
import { startCodeBuild } from './codebuild/start-codebuild.ts';
import { startDynamoDB } from './dynamodb/start-dynamodb.ts';
import { defaultLocalUsers, startGitHub, type LocalUser } from './github/start-github.ts';
import { startOnPreferredPort } from './http/start-on-preferred-port.ts';
import { createLambdaContext } from './lambda/create-lambda-context.ts';
import { handlerModules } from './lambda/handler-modules.ts';
import { startLambda, type LocalLambdaHandler } from './lambda/start-lambda.ts';
import { logsApiFromClient } from './logs/logs-api.ts';
import { startLogs } from './logs/start-logs.ts';
import { startS3 } from './s3/start-s3.ts';
import { startSts } from './sts/start-sts.ts';
import { startSlack, type SlackMessage } from './slack/start-slack.ts';
import type { ExecutionSummary } from './stepfunctions/create-local-step-functions.ts';
import { LOCAL_POLICY } from './local-policy.ts';
import { loadDefinition } from './stepfunctions/load-definition.ts';
import { startStepFunctions } from './stepfunctions/start-step-functions.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVICE = 'pushgate';
const STAGE = 'local';
export const WEBHOOK_PATH = '/webhooks/github';
/** Where Slack posts interactions (the approval buttons): the HTTP API route of serverless.yml. */
export const SLACK_ACTIONS_PATH = '/slack/actions';
/** The channel the local Slack app posts to (an id, as chat.update needs). */
export const LOCAL_SLACK_CHANNEL = 'C0PUSHGATE';

export interface LocalStackOptions {
  /** Keep DynamoDB and S3 on disk here across restarts; in memory / a temp dir when absent. */
  dataDir?: string;
  /** Port of the webhook (API Gateway) endpoint, which must be free; 0 = any free port. */
  port?: number;
  /**
   * Ports to use again when they are free (those of a previous start), by service; a taken one is
   * replaced by any free port and reported to onPortTaken. `port`, when set, wins for the webhook.
   */
  ports?: Partial<LocalPorts>;
  onPortTaken?: (service: keyof LocalPorts, port: number) => void;
  /** The webhook secret; a random one when absent. */
  webhookSecret?: string;
  /**
   * The AWS credentials every AWS stand-in requires of its callers (local/aws/verify-request.ts) and
   * the stack's handlers and builds sign with; random ones when absent (pushgate dev keeps its own in
   * its data directory).
   */
  credentials?: LocalCredentials;
  /** The Slack app's signing secret (`/slack/actions` verifies it); random when absent. */
  slackSigningSecret?: string;
  /** The local GitHub's users (login, role, token); default defaultLocalUsers() (new tokens). */
  githubUsers?: LocalUser[];
  /** `owner/name` or `owner/*` entries the webhook accepts; default `local/*`. */
  allowedRepos?: string[];
  /**
   * The platform policy (YAML), as the operator stores it in SSM on AWS; default: LOCAL_POLICY, which
   * lets every repository deploy every environment from its default branch with a stand-in role.
   */
  policy?: string;
  /** Lock lease of every run, instead of the default (4 h): for tests of lease expiry. */
  leaseSeconds?: number;
  /** Retry waiting states (a held lock) at once: for tests. */
  fastRetries?: boolean;
  /** Scales retry intervals and waits when not fastRetries (e.g. 0.02 for a demo). */
  timeScale?: number;
  /** Directory the example repository's deployments write into (`PUSHGATE_DEPLOY_ROOT` in builds). */
  deployRoot?: string;
  /** Prepended to every build's PATH (e.g. a stand-in `terraform`). */
  extraPath?: string[];
  /** Extra variables every build sees. */
  buildEnv?: Record<string, string>;
  onEvent?: (event: HistoryEvent, execution: ExecutionSummary) => void;
  onBuildLog?: (buildId: string, line: string) => void;
  onSlack?: (line: string, message: SlackMessage) => void;
}

type Started<T extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<T>>;

/** The port of each service of the stack: the webhook (API Gateway) and every endpoint. */
export type LocalPorts = Record<'webhook' | keyof LocalStack['endpoints'], number>;

export interface LocalStack {
  webhookUrl: string;
  secret: string;
  /** The Slack app: where its interactions go and the secret they are signed with. */
  slackApp: { actionsUrl: string; signingSecret: string; apiUrl: string; botToken: string; channel: string };
  /** The only AWS credentials the stand-ins accept; set in this process' environment and every build's. */
  credentials: LocalCredentials;
  tableName: string;
  bucket: string;
  stateMachineArn: string;
  endpoints: {
    dynamodb: string;
    stepfunctions: string;
    s3: string;
    codebuild: string;
    lambda: string;
    sts: string;
    /** CloudWatch Logs: the builds' logs (`pushgate logs` reads them). */
    logs: string;
    github: string;
    slack: string;
  };
  /** The ports the services listen on (what `ports` takes on the next start). */
  ports: LocalPorts;
  /** Environment that points AWS SDK clients (and Octokit, via GITHUB_API_URL) at this stack. */
  env: Record<string, string>;
  githubToken: string;
  /** People on the local GitHub, each with a token that acts as them: an admin, a writer and a reader. */
  githubUsers: LocalUser[];
  github: Started<typeof startGitHub>;
  slack: Started<typeof startSlack>;
  stepfunctions: Started<typeof startStepFunctions>['stepFunctions'];
  codebuild: Started<typeof startCodeBuild>['codebuild'];
  /** Serve a bare repository as `owner/name` through the local GitHub. */
  addRepository(fullName: string, bareRepoPath: string): void;
  /**
   * Invokes the drift function (`driftCheck`) as EventBridge Scheduler does on AWS (`{ source:
   * 'schedule' }`) or as `pushgate drift` does; resolves to its answer. `pushgate dev` ticks it.
   */
  invokeDriftCheck(event: Record<string, unknown>): Promise<unknown>;
  /** Invokes the lock sweep (`lockSweep`) as its EventBridge Scheduler schedule does on AWS; `pushgate dev` ticks it. */
  invokeLockSweep(): Promise<unknown>;
  stop(): Promise<void>;
}

interface ServerlessConfig {
  functions: Record<string, { handler: string }>;
  custom: Record<string, unknown>;
}

/** serverless.yml, read once; its CloudFormation tags (!Ref) are read as plain values, they are not needed here. */
function readServerlessConfig(): ServerlessConfig {
  return parse(
    readFileSync(join(ROOT, 'serverless.yml'), 'utf8').replace(/!(Ref|GetAtt|Sub|Join)\b/g, ''),
  ) as ServerlessConfig;
}

/**
 * The functions of serverless.yml, by name, with the module of their handler (as serverless.yml writes
 * it, `functions/<name>/handler`, and as a file) and its export.
 */
export function serverlessFunctions(
  config: ServerlessConfig = readServerlessConfig(),
): { name: string; modulePath: string; module: string; exportName: string }[] {
  return Object.entries(config.functions).map(([name, { handler }]) => {
    const dot = handler.lastIndexOf('.');
    const modulePath = handler.slice(0, dot);
    return { name, modulePath, module: join(ROOT, `${modulePath}.ts`), exportName: handler.slice(dot + 1) };
  });
}

/** The ASL's `${self:custom.*}` values, as serverless.yml resolves them for stage `local`. */
function customVars(config: ServerlessConfig): Record<string, string | number> {
  const vars: Record<string, string | number> = { 'self:service': SERVICE, 'sls:stage': STAGE };
  for (const [key, value] of Object.entries(config.custom)) {
    if (typeof value === 'number') vars[`self:custom.${key}`] = value;
    else if (typeof value === 'string') {
      vars[`self:custom.${key}`] = value.replace('${self:service}', SERVICE).replace('${sls:stage}', STAGE);
    }
  }
  return vars;
}

/**
 * pushgate's AWS and GitHub on 127.0.0.1: every service speaks its real wire protocol, the handlers
 * and the state machine run unchanged, and they find the services through the standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which this sets in this process (handlers run in-process).
 * One stack per process: the handlers keep their clients and configuration once loaded.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
    if (dataDir) await mkdir(dataDir, { recursive: true });
    if (options.deployRoot) await mkdir(options.deployRoot, { recursive: true });
    const scratch = await mkdtemp(join(tmpdir(), 'pushgate-local-'));
    stops.push(() => rm(scratch, { recursive: true, force: true }));

    const secret = options.webhookSecret ?? randomBytes(20).toString('hex');
    const credentials = options.credentials ?? createLocalCredentials();
    const githubToken = `ghs_local${randomBytes(16).toString('hex')}`;
    const tableName = `${SERVICE}-${STAGE}`;
    const bucket = `${SERVICE}-${STAGE}-artifacts`;
    const buildspecBucket = `${SERVICE}-${STAGE}-buildspecs`;
    const region = 'us-east-1';
    const preferred = (service: keyof LocalPorts) => ({
      start: <T>(start: (port: number) => Promise<T>) =>
        startOnPreferredPort(options.ports?.[service], start, (port) => options.onPortTaken?.(service, port)),
    });

    const dynamodb = await preferred('dynamodb').start((port) =>
      startDynamoDB({ tableName, port, credentials, ...(dataDir ? { dataDir } : {}) }),
    );
    stops.push(() => dynamodb.stop());
    const s3 = await preferred('s3').start((port) =>
      startS3({ bucket, buckets: [buildspecBucket], port, credentials, ...(dataDir ? { dataDir } : {}) }),
    );
    stops.push(() => s3.stop());
    const slack = await preferred('slack').start((port) =>
      startSlack({
        port,
        ...(options.onSlack ? { onMessage: options.onSlack } : {}),
        ...(options.slackSigningSecret ? { signingSecret: options.slackSigningSecret } : {}),
      }),
    );
    stops.push(() => slack.stop());
    const githubUsers = options.githubUsers ?? defaultLocalUsers();
    const github = await preferred('github').start((port) =>
      startGitHub({ repos: {}, token: githubToken, port, users: githubUsers }),
    );
    stops.push(() => github.stop());
    const repositories = new Map<string, string>();
    const cloneBase = `${github.url}/git`;

    const lambda = await preferred('lambda').start((port) => startLambda({ handlers: {}, credentials, port }));
    stops.push(() => lambda.stop());
    // STS answers GetCallerIdentity: how `pushgate approve` proves who approves.
    const sts = await preferred('sts').start((port) => startSts({ credentials, port }));
    stops.push(() => sts.stop());

    // CloudWatch Logs: the local CodeBuild writes each build's log there, as CodeBuild does.
    const logsServer = await preferred('logs').start((port) => startLogs({ port, credentials, region }));
    stops.push(() => logsServer.stop());
    const logsClient = new CloudWatchLogsClient({ region, credentials, endpoint: logsServer.url });
    stops.push(async () => logsClient.destroy());

    const codebuildServer = await preferred('codebuild').start((port) =>
      startCodeBuild({
        logs: logsApiFromClient(logsClient),
        onLogsError: (buildId, error) =>
          process.stderr.write(`pushgate local: the log of build ${buildId} was not written: ${String(error)}\n`),
        port,
        credentials,
        projects: {
          [`${SERVICE}-${STAGE}-plan`]: { environmentVariables: [{ name: 'PUSHGATE_ARTIFACT_BUCKET', value: bucket }] },
          [`${SERVICE}-${STAGE}-apply`]: {
            environmentVariables: [{ name: 'PUSHGATE_ARTIFACT_BUCKET', value: bucket }],
          },
        },
        workRoot: join(scratch, 'builds'),
        extraPath: options.extraPath ?? [],
        env: {
          ...s3.env,
          AWS_REGION: region,
          // The build's `aws` (local/codebuild/bin/aws) signs its S3 requests with these.
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          ...(options.deployRoot ? { PUSHGATE_DEPLOY_ROOT: resolve(options.deployRoot) } : {}),
          ...options.buildEnv,
        },
        // CodeBuild clones https://github.com/<repo>.git; here the local GitHub's clone URL names a bare repo.
        resolveSourceLocation: (location) => {
          const match = location.startsWith(`${cloneBase}/`)
            ? location.slice(cloneBase.length + 1).replace(/\.git$/, '')
            : undefined;
          return (match && repositories.get(match.toLowerCase())) ?? location;
        },
        ...(options.onBuildLog ? { onLog: options.onBuildLog } : {}),
      }),
    );
    stops.push(() => codebuildServer.stop());

    // EventBridge on loopback: an execution that is stopped or times out sends "Step Functions
    // Execution Status Change" to the executionEnded function, as the rule in serverless.yml does.
    const inputs = new Map<string, string>();
    let executionEnded: LocalLambdaHandler | undefined;
    let driftCheck: LocalLambdaHandler | undefined;
    let lockSweep: LocalLambdaHandler | undefined;
    const statusChanges = (event: HistoryEvent, execution: ExecutionSummary) => {
      // The rule in serverless.yml matches the deploy state machine only: a child execution's end is
      // its parent's RunTargets result. (Test-only state machines stand for the deploy workflow.)
      if (execution.stateMachineArn === targetsStateMachineArn) return;
      if (event.type === 'ExecutionStarted') {
        inputs.set(execution.executionArn, event.executionStartedEventDetails?.input ?? '{}');
        return;
      }
      const status = (
        { ExecutionAborted: 'ABORTED', ExecutionTimedOut: 'TIMED_OUT', ExecutionFailed: 'FAILED' } as Record<
          string,
          string
        >
      )[event.type ?? ''];
      if (!status || !executionEnded) return;
      const input = inputs.get(execution.executionArn);
      inputs.delete(execution.executionArn);
      const cause =
        event.executionAbortedEventDetails?.cause ??
        event.executionTimedOutEventDetails?.cause ??
        event.executionFailedEventDetails?.cause;
      const error = event.executionFailedEventDetails?.error;
      const detail = {
        cause,
        error,
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status,
        input,
      };
      const functionName = `${SERVICE}-${STAGE}-executionEnded`;
      void Promise.resolve()
        .then(() =>
          executionEnded!(
            {
              version: '0',
              id: randomBytes(16).toString('hex'),
              'detail-type': 'Step Functions Execution Status Change',
              source: 'aws.states',
              account: '000000000000',
              time: new Date().toISOString(),
              region,
              resources: [execution.executionArn],
              detail,
            },
            createLambdaContext({ functionName, timeoutMs: 30_000 }),
            () => undefined,
          ),
        )
        .catch((error: unknown) => process.stderr.write(`pushgate local: ${functionName} failed: ${String(error)}\n`));
    };

    const sfn = await preferred('stepfunctions').start((port) =>
      startStepFunctions({
        port,
        credentials,
        codebuild: codebuildServer.codebuild,
        fastRetries: options.fastRetries ?? false,
        ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
        onEvent: (event, execution) => {
          options.onEvent?.(event, execution);
          statusChanges(event, execution);
        },
      }),
    );
    stops.push(() => sfn.stop());

    const api = { url: '' };
    const env: Record<string, string> = {
      AWS_REGION: region,
      // The handlers' clients and the local Step Functions' (Lambda, DynamoDB) sign with these.
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...dynamodb.env,
      ...s3.env,
      ...lambda.env,
      ...codebuildServer.env,
      ...sfn.env,
      AWS_ENDPOINT_URL_STS: sts.url,
      ...logsServer.env,
      GITHUB_API_URL: github.url,
    };
    const stateMachineArn = `arn:aws:states:${region}:000000000000:stateMachine:${SERVICE}-${STAGE}-deploy`;
    const targetsStateMachineArn = `arn:aws:states:${region}:000000000000:stateMachine:${SERVICE}-${STAGE}-targets`;
    // The handlers read their configuration from the environment, as on Lambda.
    Object.assign(process.env, env, {
      PUSHGATE_LOCAL: '1',
      TABLE_NAME: tableName,
      ARTIFACT_BUCKET: bucket,
      BUILDSPEC_BUCKET: buildspecBucket,
      APPLY_PROJECT_NAME: `${SERVICE}-${STAGE}-apply`,
      STATE_MACHINE_ARN: stateMachineArn,
      ALLOWED_REPOS: (options.allowedRepos ?? ['local/*']).join(','),
      WEBHOOK_SECRET: secret,
      GITHUB_TOKEN: githubToken,
      GITHUB_CLONE_URL: cloneBase,
      // Slack as an app with a bot token (chat.postMessage, then chat.update as the run moves) and
      // interactivity (the approval buttons post to /slack/actions, signed with the signing secret).
      SLACK_WEBHOOK_URL: slack.webhookUrl,
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_CHANNELS: JSON.stringify({ default: LOCAL_SLACK_CHANNEL }),
      SLACK_SIGNING_SECRET: slack.signingSecret,
      // `/pushgate approve|reject|unlock|help` comments run here, invoked asynchronously by the webhook.
      COMMANDS_FUNCTION_NAME: `${SERVICE}-${STAGE}-commands`,
      PUSHGATE_POLICY: options.policy ?? LOCAL_POLICY,
      PUSHGATE_LEASE_SECONDS: options.leaseSeconds === undefined ? '' : String(options.leaseSeconds),
      // The handlers' JSON logs stay quiet unless asked for: progress lines say what happens.
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
    });

    let webhook: HttpApiHandler | undefined;
    let slackActions: HttpApiHandler | undefined;
    const serverless = readServerlessConfig();
    const functions = serverlessFunctions(serverless);
    for (const fn of functions) {
      const load = handlerModules[fn.modulePath];
      if (!load)
        throw new Error(
          `serverless.yml function ${fn.name}: ${fn.modulePath} is not in local/lambda/handler-modules.ts`,
        );
      const module = (await load()) as Record<string, LocalLambdaHandler | undefined>;
      const handler = module[fn.exportName];
      if (typeof handler !== 'function') throw new Error(`${fn.module} does not export ${fn.exportName}`);
      lambda.register(`${SERVICE}-${STAGE}-${fn.name}`, handler);
      if (fn.name === 'webhook') webhook = handler as HttpApiHandler;
      if (fn.name === 'slackActions') slackActions = handler as HttpApiHandler;
      if (fn.name === 'executionEnded') executionEnded = handler;
      if (fn.name === 'driftCheck') driftCheck = handler;
      if (fn.name === 'lockSweep') lockSweep = handler;
    }
    if (!webhook) throw new Error('serverless.yml has no webhook function');
    if (!slackActions) throw new Error('serverless.yml has no slackActions function');
    if (!driftCheck) throw new Error('serverless.yml has no driftCheck function');
    const driftCheckHandler = driftCheck;
    if (!lockSweep) throw new Error('serverless.yml has no lockSweep function');
    const lockSweepHandler = lockSweep;

    // The targets state machine first: the deploy state machine starts its executions (RunTargets).
    for (const name of ['targets', 'deploy']) {
      const definition = loadDefinition(join(ROOT, `state-machines/${name}.asl.yml`), {
        functionArn: (fn) => `arn:aws:lambda:${region}:000000000000:function:${SERVICE}-${STAGE}-${fn}`,
        functions: functions.map((fn) => fn.name),
        vars: customVars(serverless),
        refs: { TargetsStateMachine: targetsStateMachineArn },
      });
      sfn.stepFunctions.createStateMachine(`${SERVICE}-${STAGE}-${name}`, definition);
    }

    const routes = {
      [WEBHOOK_PATH]: { functionName: `${SERVICE}-${STAGE}-webhook`, handler: webhook },
      [SLACK_ACTIONS_PATH]: { functionName: `${SERVICE}-${STAGE}-slackActions`, handler: slackActions },
    };
    const startGateway = (port: number) => startApiGateway({ routes, port });
    const gateway =
      options.port !== undefined ? await startGateway(options.port) : await preferred('webhook').start(startGateway);
    stops.push(() => gateway.stop());
    api.url = gateway.url;
    // GitHub sends pull_request, issue_comment and push webhooks here, as a repository hook would.
    github.setWebhook(`${gateway.url}${WEBHOOK_PATH}`, secret);

    return {
      webhookUrl: `${gateway.url}${WEBHOOK_PATH}`,
      secret,
      slackApp: {
        actionsUrl: `${gateway.url}${SLACK_ACTIONS_PATH}`,
        signingSecret: slack.signingSecret,
        apiUrl: slack.apiUrl,
        botToken: slack.botToken,
        channel: LOCAL_SLACK_CHANNEL,
      },
      credentials,
      tableName,
      bucket,
      stateMachineArn,
      endpoints: {
        dynamodb: dynamodb.url,
        stepfunctions: sfn.url,
        s3: s3.url,
        codebuild: codebuildServer.url,
        lambda: lambda.url,
        sts: sts.url,
        logs: logsServer.url,
        github: github.url,
        slack: slack.webhookUrl,
      },
      ports: {
        webhook: portOf(gateway.url),
        dynamodb: portOf(dynamodb.url),
        stepfunctions: portOf(sfn.url),
        s3: portOf(s3.url),
        codebuild: portOf(codebuildServer.url),
        lambda: portOf(lambda.url),
        sts: portOf(sts.url),
        logs: portOf(logsServer.url),
        github: portOf(github.url),
        slack: portOf(slack.url),
      },
      env,
      githubToken,
      githubUsers,
      github,
      slack,
      stepfunctions: sfn.stepFunctions,
      codebuild: codebuildServer.codebuild,
      invokeDriftCheck: (event) =>
        Promise.resolve(
          driftCheckHandler(
            event,
            createLambdaContext({ functionName: `${SERVICE}-${STAGE}-driftCheck`, timeoutMs: 60_000 }),
            () => undefined,
          ),
        ),
      invokeLockSweep: () =>
        Promise.resolve(
          lockSweepHandler(
            { source: 'schedule' },
            createLambdaContext({ functionName: `${SERVICE}-${STAGE}-lockSweep`, timeoutMs: 60_000 }),
            () => undefined,
          ),
        ),
      addRepository(fullName, bareRepoPath) {
        repositories.set(fullName.toLowerCase(), resolve(bareRepoPath));
        github.addRepo(fullName, resolve(bareRepoPath));
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}
