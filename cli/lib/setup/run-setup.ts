import { randomBytes } from 'node:crypto';
import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import {
  ImportSourceCredentialsCommand,
  ListSourceCredentialsCommand,
  type CodeBuildClient,
  type SourceCredentialsInfo,
} from '@aws-sdk/client-codebuild';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Octokit } from '@octokit/rest';
import { PushgateError } from '../../../functions/lib/errors.ts';
import { HANDLED_EVENTS } from './handled-events.ts';
import { parameterNames } from './parameter-names.ts';

/** A call to AWS or GitHub failed; the message names the step and the resource, never a secret. */
export class SetupError extends PushgateError {}

export interface SetupClients {
  ssm: SSMClient;
  secretsManager: SecretsManagerClient;
  codebuild: CodeBuildClient;
  cloudformation: CloudFormationClient;
  /** Authenticated as a repository admin (hooks need `admin:repo_hook`). */
  github: Octokit;
}

export type GitHubCredential =
  { kind: 'token'; token: string } | { kind: 'app'; appId: number; privateKey: string; secretName: string };

export interface SetupInput {
  stage: string;
  region: string;
  stackName: string;
  /** `owner/name` of each repository whose webhook to register. */
  repos: string[];
  /** Default: the stack's HttpApiUrl output + /webhooks/github. */
  webhookUrl?: string | undefined;
  /** The platform policy's text (YAML or JSON, already checked); undefined: the stored one is kept. */
  policy?: string | undefined;
  /** What pushgate calls GitHub with; undefined: the stored one is kept. */
  github?: GitHubCredential | undefined;
  slack: { botToken?: string | undefined; signingSecret?: string | undefined; webhookUrl?: string | undefined };
  /** A CodeConnections connection (GitHub App) for CodeBuild instead of the token. */
  codebuildConnectionArn?: string | undefined;
  rotateWebhookSecret: boolean;
  /**
   * Replace a GitHub source credential CodeBuild already has. It is one per account and region, used by
   * every CodeBuild project there: without this, setup never overwrites one it did not create.
   */
  replaceCodeBuildCredential?: boolean;
  dryRun: boolean;
}

/** `create` / `update`: done (or, in a dry run, what would be done); `manual`: a step for the user. */
export type StepAction = 'create' | 'update' | 'unchanged' | 'skip' | 'manual';

export interface SetupStep {
  step: 'stack' | 'webhook-secret' | 'policy' | 'github-token' | 'github-app' | 'slack' | 'codebuild' | 'github-hook';
  /** What it acts on: a parameter name, a secret name, a repository. Never a secret value. */
  target: string;
  action: StepAction;
  detail: string;
}

export interface SetupReport {
  stage: string;
  region: string;
  stackName: string;
  dryRun: boolean;
  webhookUrl: string;
  /** The stack's outputs used: the table (for `pushgate status`) and the API's base URL. */
  tableName?: string | undefined;
  apiUrl?: string | undefined;
  steps: SetupStep[];
  next: string[];
}

const WEBHOOK_PATH = '/webhooks/github';
const SLACK_ACTIONS_PATH = '/slack/actions';

/**
 * Sets up a deployed stack: the webhook secret, GitHub's credentials (token or App), Slack's
 * settings, CodeBuild's GitHub connection and each repository's webhook. Reads before it writes
 * and writes only what differs, so a second run changes nothing (the webhook secret is rotated only
 * when asked). A dry run reads (the stack's outputs, whether each parameter and hook exists) and
 * writes nothing.
 */
export async function runSetup(input: SetupInput, clients: SetupClients): Promise<SetupReport> {
  const names = parameterNames(input.stage);
  const steps: SetupStep[] = [];
  const write = async (send: () => Promise<unknown>) => {
    if (!input.dryRun) await send();
  };

  // 1. Where GitHub delivers: the stack's HTTP API.
  const outputs = await stackOutputs(input, clients.cloudformation, !input.webhookUrl);
  const apiUrl = outputs.HttpApiUrl?.replace(/\/+$/, '');
  const webhookUrl = input.webhookUrl ?? `${apiUrl}${WEBHOOK_PATH}`;
  steps.push({
    step: 'stack',
    target: input.stackName,
    action: 'unchanged',
    detail: input.webhookUrl
      ? `webhook URL ${webhookUrl} (--webhook-url)`
      : `webhook URL ${webhookUrl} (output HttpApiUrl of stack ${input.stackName})`,
  });

  // 2. The webhook secret: generated once, kept unless rotating (the previous one keeps verifying
  // deliveries GitHub signed before the hook was updated).
  const currentSecret = await readParameter(clients.ssm, names.webhookSecret);
  let webhookSecret = currentSecret;
  let secretChanged = false;
  if (currentSecret === undefined || input.rotateWebhookSecret) {
    webhookSecret = randomBytes(32).toString('hex');
    secretChanged = true;
    if (currentSecret !== undefined) {
      const previous = await readParameter(clients.ssm, names.webhookSecretPrevious);
      await write(() =>
        clients.ssm.send(
          new PutParameterCommand({
            Name: names.webhookSecretPrevious,
            Value: currentSecret,
            Type: 'SecureString',
            Overwrite: previous !== undefined,
            Description: 'pushgate: the webhook secret before the last rotation (still accepted)',
          }),
        ),
      ).catch(failed(`store ${names.webhookSecretPrevious} in SSM`));
      steps.push({
        step: 'webhook-secret',
        target: names.webhookSecretPrevious,
        action: previous === undefined ? 'create' : 'update',
        detail: 'SSM SecureString: the secret being rotated out, still accepted until you delete it',
      });
    }
    await write(() =>
      clients.ssm.send(
        new PutParameterCommand({
          Name: names.webhookSecret,
          Value: webhookSecret,
          Type: 'SecureString',
          Overwrite: currentSecret !== undefined,
          Description: 'pushgate: the GitHub webhook secret (pushgate setup)',
        }),
      ),
    ).catch(failed(`store ${names.webhookSecret} in SSM`));
    steps.push({
      step: 'webhook-secret',
      target: names.webhookSecret,
      action: currentSecret === undefined ? 'create' : 'update',
      detail: `SSM SecureString: a new random 256-bit secret${currentSecret === undefined ? '' : ' (rotated)'}`,
    });
  } else {
    steps.push({
      step: 'webhook-secret',
      target: names.webhookSecret,
      action: 'unchanged',
      detail: 'SSM SecureString exists; kept (--rotate-webhook-secret replaces it)',
    });
  }

  // 3. The platform policy: which repositories may deploy where (not a secret: a String).
  if (input.policy !== undefined) {
    const action = await putParameter(
      clients.ssm,
      names.policy,
      input.policy,
      'String',
      'pushgate: the platform policy',
      input.dryRun,
    );
    steps.push({ step: 'policy', target: names.policy, action, detail: 'SSM String: the platform policy (checked)' });
  } else {
    const stored = await readParameter(clients.ssm, names.policy);
    steps.push(
      stored === undefined
        ? {
            step: 'policy',
            target: names.policy,
            action: 'manual',
            detail: 'no platform policy: nothing deploys until one is stored (pushgate setup --policy-file policy.yml)',
          }
        : { step: 'policy', target: names.policy, action: 'unchanged', detail: 'SSM parameter exists; kept' },
    );
  }

  // 4. GitHub: the token (SSM) or the App (Secrets Manager).
  let tokenChanged = false;
  if (input.github?.kind === 'token') {
    const action = await putParameter(
      clients.ssm,
      names.githubToken,
      input.github.token,
      'SecureString',
      'pushgate: the GitHub token',
      input.dryRun,
    );
    tokenChanged = action !== 'unchanged';
    steps.push({ step: 'github-token', target: names.githubToken, action, detail: 'SSM SecureString' });
  } else if (input.github?.kind === 'app') {
    const { appId, privateKey, secretName } = input.github;
    const action = await putAppSecret(clients.secretsManager, secretName, { appId, privateKey }, input.dryRun);
    steps.push({
      step: 'github-app',
      target: secretName,
      action,
      detail: `Secrets Manager secret {appId: ${appId}, privateKey}; the stack must be deployed with --param="githubAppSecret=${secretName}"`,
    });
  } else {
    steps.push({
      step: 'github-token',
      target: names.githubToken,
      action: 'skip',
      detail: 'no GitHub token or App given: what is stored is kept',
    });
  }

  // 5. Slack, each setting when given.
  const slack: [string, string | undefined, string][] = [
    [names.slackBotToken, input.slack.botToken, 'the Slack bot token'],
    [names.slackSigningSecret, input.slack.signingSecret, 'the Slack signing secret'],
    [names.slackWebhookUrl, input.slack.webhookUrl, 'the Slack incoming webhook URL'],
  ];
  for (const [name, value, what] of slack) {
    if (value === undefined) continue;
    const action = await putParameter(clients.ssm, name, value, 'SecureString', `pushgate: ${what}`, input.dryRun);
    steps.push({ step: 'slack', target: name, action, detail: `SSM SecureString: ${what}` });
  }

  // 6. CodeBuild clones the repositories with the account's GitHub source credential.
  steps.push(await connectCodeBuild(input, clients.codebuild, tokenChanged));

  // 7. Each repository's webhook: exactly the handled events, JSON, the secret.
  for (const repo of input.repos) {
    steps.push(await registerHook(input, clients.github, repo, webhookUrl, webhookSecret!, secretChanged));
  }

  const report: SetupReport = {
    stage: input.stage,
    region: input.region,
    stackName: input.stackName,
    dryRun: input.dryRun,
    webhookUrl,
    tableName: outputs.PushgateTableName,
    apiUrl,
    steps,
    next: [],
  };
  report.next = nextSteps(input, report);
  return report;
}

async function stackOutputs(
  input: SetupInput,
  cloudformation: CloudFormationClient,
  required: boolean,
): Promise<Record<string, string | undefined>> {
  let stack: Stack | undefined;
  try {
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: input.stackName }));
    stack = Stacks?.[0];
  } catch (error) {
    // With --webhook-url the outputs only name the table in the next steps: not worth failing for.
    if (!required) return {};
    const missing = /does not exist/.test((error as Error).message ?? '');
    throw new SetupError(
      missing
        ? `stack ${input.stackName} does not exist in ${input.region}: deploy first (npm run deploy -- --stage ${input.stage} --param=…), or give --stack / --region`
        : `could not read stack ${input.stackName}'s outputs: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue]));
  if (required && !outputs.HttpApiUrl) {
    throw new SetupError(
      `stack ${input.stackName} has no HttpApiUrl output (status ${stack?.StackStatus ?? 'unknown'}): is the deploy finished? Or give --webhook-url`,
    );
  }
  return outputs;
}

async function readParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return Parameter?.Value;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw new SetupError(`could not read ${name} from SSM: ${(error as Error).message}`, { cause: error });
  }
}

/** Creates or overwrites a parameter whose value differs; `unchanged` when it already holds it. */
async function putParameter(
  ssm: SSMClient,
  name: string,
  value: string,
  type: 'String' | 'SecureString',
  description: string,
  dryRun: boolean,
): Promise<StepAction> {
  const current = await readParameter(ssm, name);
  if (current === value) return 'unchanged';
  if (!dryRun) {
    await ssm
      .send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Type: type,
          Overwrite: current !== undefined,
          Description: description,
        }),
      )
      .catch(failed(`store ${name} in SSM`));
  }
  return current === undefined ? 'create' : 'update';
}

async function putAppSecret(
  secretsManager: SecretsManagerClient,
  name: string,
  app: { appId: number; privateKey: string },
  dryRun: boolean,
): Promise<StepAction> {
  let current: string | undefined;
  try {
    ({ SecretString: current } = await secretsManager.send(new GetSecretValueCommand({ SecretId: name })));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') {
      throw new SetupError(`could not read secret ${name}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (current !== undefined && sameApp(current, app)) return 'unchanged';
  if (!dryRun) {
    const value = JSON.stringify(app);
    await (
      current === undefined
        ? secretsManager.send(
            new CreateSecretCommand({
              Name: name,
              SecretString: value,
              Description: 'pushgate: the GitHub App (appId, privateKey)',
            }),
          )
        : secretsManager.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }))
    ).catch(failed(`store secret ${name}`));
  }
  return current === undefined ? 'create' : 'update';
}

function sameApp(text: string, app: { appId: number; privateKey: string }): boolean {
  try {
    const stored = JSON.parse(text) as { appId?: unknown; privateKey?: unknown };
    return Number(stored.appId) === app.appId && stored.privateKey === app.privateKey;
  } catch {
    return false;
  }
}

/**
 * CodeBuild's GitHub source credential (one per account and region, shared with every CodeBuild
 * project there): the token, or a CodeConnections connection for a GitHub App. A connection is
 * created pending and completed in the console (GitHub's authorization), so setup only imports one
 * that exists.
 */
async function connectCodeBuild(
  input: SetupInput,
  codebuild: CodeBuildClient,
  tokenChanged: boolean,
): Promise<SetupStep> {
  let credentials: SourceCredentialsInfo[];
  try {
    ({ sourceCredentialsInfos: credentials = [] } = await codebuild.send(new ListSourceCredentialsCommand({})));
  } catch (error) {
    throw new SetupError(`could not list CodeBuild's source credentials: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const github = credentials.find((c) => c.serverType === 'GITHUB');
  const target = `CodeBuild GitHub source credential (${input.region})`;
  const importCredential = async (authType: 'PERSONAL_ACCESS_TOKEN' | 'CODECONNECTIONS', token: string) => {
    if (input.dryRun) return;
    await codebuild
      .send(
        new ImportSourceCredentialsCommand({
          serverType: 'GITHUB',
          authType,
          token,
          // Only when asked: a credential that appeared since the List is someone else's.
          shouldOverwrite: github !== undefined && input.replaceCodeBuildCredential === true,
        }),
      )
      .catch(failed('import CodeBuild source credentials'));
  };
  // The account's one GitHub credential may be another team's: it is replaced only when asked.
  const keepExisting = (wanted: string): SetupStep | undefined =>
    github === undefined || input.replaceCodeBuildCredential
      ? undefined
      : {
          step: 'codebuild',
          target,
          action: 'manual',
          detail: [
            `CodeBuild already has a GitHub source credential here (${github.authType ?? 'unknown type'}${github.resource ? ` ${github.resource}` : ''}), shared by every CodeBuild project of the account in ${input.region}; it may be another team's, so setup left it as it is (pushgate's builds clone with it).`,
            `To replace it with ${wanted}, run setup again with --replace-codebuild-credential.`,
          ].join('\n'),
        };

  if (input.codebuildConnectionArn) {
    if (github?.authType === 'CODECONNECTIONS' && github.resource === input.codebuildConnectionArn) {
      return { step: 'codebuild', target, action: 'unchanged', detail: `connection ${input.codebuildConnectionArn}` };
    }
    const kept = keepExisting(`the connection ${input.codebuildConnectionArn}`);
    if (kept) return kept;
    await importCredential('CODECONNECTIONS', input.codebuildConnectionArn);
    return {
      step: 'codebuild',
      target,
      action: github ? 'update' : 'create',
      detail: `ImportSourceCredentials CODECONNECTIONS ${input.codebuildConnectionArn}`,
    };
  }
  if (input.github?.kind === 'token') {
    if (github?.authType === 'PERSONAL_ACCESS_TOKEN' && !tokenChanged) {
      return { step: 'codebuild', target, action: 'unchanged', detail: 'the token is imported already' };
    }
    const kept = keepExisting('the GitHub token');
    if (kept) return kept;
    await importCredential('PERSONAL_ACCESS_TOKEN', input.github.token);
    return {
      step: 'codebuild',
      target,
      action: github ? 'update' : 'create',
      detail: 'ImportSourceCredentials PERSONAL_ACCESS_TOKEN (the GitHub token)',
    };
  }
  if (github) {
    return {
      step: 'codebuild',
      target,
      action: 'unchanged',
      detail: `${github.authType ?? 'a'} credential exists${github.resource ? ` (${github.resource})` : ''}`,
    };
  }
  if (input.github?.kind === 'app') {
    return {
      step: 'codebuild',
      target,
      action: 'manual',
      detail: [
        'a GitHub App reaches CodeBuild through a CodeConnections connection, which GitHub must authorize in the browser:',
        `aws codeconnections create-connection --provider-type GitHub --connection-name pushgate-${input.stage} --region ${input.region}`,
        'then in the console (Developer Tools > Settings > Connections) choose "Update pending connection" and install the AWS Connector for GitHub on the owner,',
        'then run setup again with --codebuild-connection-arn <the connection ARN>',
      ].join('\n'),
    };
  }
  return {
    step: 'codebuild',
    target,
    action: 'manual',
    detail: 'none: give the GitHub token (--github-token-file) or --codebuild-connection-arn so that builds can clone',
  };
}

async function registerHook(
  input: SetupInput,
  github: Octokit,
  repo: string,
  url: string,
  secret: string,
  secretChanged: boolean,
): Promise<SetupStep> {
  const [owner = '', name = ''] = repo.split('/');
  const events = [...HANDLED_EVENTS];
  let hooks;
  try {
    hooks = await github.paginate(github.rest.repos.listWebhooks, { owner, repo: name, per_page: 100 });
  } catch (error) {
    throw new SetupError(
      `could not list ${repo}'s webhooks (the token needs admin on the repository, scope admin:repo_hook): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const existing = hooks.find((hook) => hook.config.url === url);
  const eventList = events.join(', ');
  if (!existing) {
    if (!input.dryRun) {
      await github.rest.repos
        .createWebhook({
          owner,
          repo: name,
          name: 'web',
          active: true,
          events,
          config: { url, content_type: 'json', insecure_ssl: '0', secret },
        })
        .catch(failed(`create ${repo}'s webhook`));
    }
    return {
      step: 'github-hook',
      target: repo,
      action: 'create',
      detail: `POST /repos/${repo}/hooks: ${url}, events ${eventList}, JSON, signed with the webhook secret; GitHub sends it a ping`,
    };
  }
  const reasons = [];
  if (!sameSet(existing.events, events)) reasons.push(`events were ${existing.events.join(', ')}`);
  if (!existing.active) reasons.push('it was inactive');
  if (existing.config.content_type !== 'json') reasons.push(`content type was ${existing.config.content_type}`);
  if (String(existing.config.insecure_ssl ?? '0') !== '0') reasons.push('TLS verification was off');
  if (secretChanged) reasons.push('the webhook secret is new');
  if (reasons.length === 0) {
    return {
      step: 'github-hook',
      target: repo,
      action: 'unchanged',
      detail: `hook ${existing.id}: ${url}, events ${eventList}`,
    };
  }
  if (!input.dryRun) {
    // GitHub never gives a hook's secret back: the update always sets the stored one.
    await github.rest.repos
      .updateWebhook({
        owner,
        repo: name,
        hook_id: existing.id,
        active: true,
        events,
        config: { url, content_type: 'json', insecure_ssl: '0', secret },
      })
      .catch(failed(`update ${repo}'s webhook ${existing.id}`));
  }
  return {
    step: 'github-hook',
    target: repo,
    action: 'update',
    detail: `PATCH hook ${existing.id} (${reasons.join('; ')}): ${url}, events ${eventList}`,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

function nextSteps(input: SetupInput, report: SetupReport): string[] {
  if (input.dryRun) return ['run the same command without --dry-run to make these changes'];
  const next = report.steps
    .filter((step) => step.action === 'manual')
    .map((step) => `${step.target}: ${step.detail.split('\n').join('\n    ')}`);
  if (input.slack.signingSecret && report.apiUrl) {
    next.push(`in your Slack app, set Interactivity's Request URL to ${report.apiUrl}${SLACK_ACTIONS_PATH}`);
  }
  const [repo = 'owner/name'] = input.repos;
  next.push(
    `push a commit to ${repo}'s default branch: git prints the run pushgate started (or why it ignored the push)`,
    `see what is deployed: pushgate status --repo ${repo} --table ${report.tableName ?? '<the PushgateTableName output>'}`,
  );
  return next;
}

/** Wraps a failed call: the step, the resource, the service's reason; the request (and its secret) stays out. */
function failed(what: string): (error: unknown) => never {
  return (error) => {
    throw new SetupError(`could not ${what}: ${(error as Error).message}`, { cause: error });
  };
}
