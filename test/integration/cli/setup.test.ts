import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CodeBuildClient,
  ImportSourceCredentialsCommand,
  ListSourceCredentialsCommand,
  type SourceCredentialsInfo,
} from '@aws-sdk/client-codebuild';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { verify } from '@octokit/webhooks-methods';
import { Octokit } from '@octokit/rest';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.ts';
import { HANDLED_EVENTS } from '../../../cli/lib/setup/handled-events.ts';
import { parameterNames } from '../../../cli/lib/setup/parameter-names.ts';
import { parseEvent } from '../../../functions/lib/webhook/parse-event.ts';
import { routeEvent } from '../../../functions/lib/webhook/route-event.ts';
import { startGitHub, type LocalGitHub } from '../../../local/github/start-github.ts';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '../../../local/http/loopback-server.ts';
import { githubExamples } from '../../helpers/github-examples.ts';
import { createRepoFixture, type RepoFixture } from '../local/helpers/git-fixture.ts';

// `pushgate setup` against the local GitHub (its hooks API, which pings new hooks and delivers
// signed events) and recorded AWS SDK calls. SSM, Secrets Manager, CodeBuild's source credentials
// and CloudFormation have no local stand-in in this project, so they are mocked at the SDK
// transport (aws-sdk-client-mock) with small in-memory stores that behave like the services
// (ParameterNotFound, ParameterAlreadyExists without Overwrite, ResourceNotFoundException), which
// is what makes a second run's idempotency observable.
const BOT_TOKEN = 'ghp_pushgatebottoken0000000000000000000';
const ADMIN_TOKEN = 'ghp_adminadminadmin0000000000000000000';
const SLACK_BOT = 'xoxb-slack-bot-token-value';
const SLACK_SIGNING = 'slack-signing-secret-value-0123456789';
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/slackwebhookpath';
const STAGE = 'prod';
const POLICY = [
  'version: 1',
  'repositories:',
  "  - repos: ['acme/*']",
  '    environments:',
  "      '*': { applyRole: 'arn:aws:iam::111111111111:role/deploy-prod' }",
  '',
].join('\n');
const names = parameterNames(STAGE);
const root = new URL('../../../', import.meta.url);

const ssm = mockClient(SSMClient);
const secretsManager = mockClient(SecretsManagerClient);
const codebuild = mockClient(CodeBuildClient);
const cloudformation = mockClient(CloudFormationClient);
const parameters = new Map<string, string>();
const secrets = new Map<string, string>();
let sourceCredentials: SourceCredentialsInfo[] = [];

function fakeAws(apiUrl: string) {
  ssm.on(GetParameterCommand).callsFake(async (input: { Name: string }) => {
    const value = parameters.get(input.Name);
    if (value === undefined) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
    return { Parameter: { Name: input.Name, Type: 'SecureString', Value: value } };
  });
  ssm.on(PutParameterCommand).callsFake(async (input: PutParameterCommandInput) => {
    if (parameters.has(input.Name!) && !input.Overwrite) {
      throw new ParameterAlreadyExists({ message: 'exists', $metadata: {} });
    }
    parameters.set(input.Name!, input.Value!);
    return { Version: 1 };
  });
  secretsManager.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
    const value = secrets.get(input.SecretId);
    if (value === undefined) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
    return { SecretString: value };
  });
  secretsManager.on(CreateSecretCommand).callsFake(async (input: { Name: string; SecretString: string }) => {
    secrets.set(input.Name, input.SecretString);
    return {};
  });
  secretsManager.on(PutSecretValueCommand).callsFake(async (input: { SecretId: string; SecretString: string }) => {
    secrets.set(input.SecretId, input.SecretString);
    return {};
  });
  codebuild.on(ListSourceCredentialsCommand).callsFake(async () => ({ sourceCredentialsInfos: sourceCredentials }));
  codebuild
    .on(ImportSourceCredentialsCommand)
    .callsFake(async (input: { serverType: string; authType: string; token: string }) => {
      const arn = 'arn:aws:codebuild:us-east-1:111111111111:token/github';
      sourceCredentials = [
        {
          arn,
          serverType: 'GITHUB',
          authType: input.authType as SourceCredentialsInfo['authType'],
          ...(input.authType === 'CODECONNECTIONS' ? { resource: input.token } : {}),
        },
      ];
      return { arn };
    });
  cloudformation
    .on(DescribeStacksCommand)
    .rejects(Object.assign(new Error('Stack with id pushgate-staging does not exist'), { name: 'ValidationError' }));
  cloudformation.on(DescribeStacksCommand, { StackName: `pushgate-${STAGE}` }).resolves({
    Stacks: [
      {
        StackName: `pushgate-${STAGE}`,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: 'HttpApiUrl', OutputValue: apiUrl },
          { OutputKey: 'PushgateTableName', OutputValue: 'pushgate-prod-PushgateTable-ABC' },
        ],
      },
    ],
  });
}

/** The AWS calls that change something. */
const writes = () => [
  ...ssm.commandCalls(PutParameterCommand),
  ...secretsManager.commandCalls(CreateSecretCommand),
  ...secretsManager.commandCalls(PutSecretValueCommand),
  ...codebuild.commandCalls(ImportSourceCredentialsCommand),
];

/** `pushgate setup …` in this process (the AWS mocks apply), with its output and exit code. */
async function setup(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await main(['node', 'pushgate', 'setup', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

const SECRET_VALUES = () => [BOT_TOKEN, ADMIN_TOKEN, SLACK_BOT, SLACK_SIGNING, SLACK_URL, ...parameters.values()];

function expectNoSecret(text: string) {
  for (const value of SECRET_VALUES()) expect(text).not.toContain(value);
}

describe('pushgate setup', () => {
  let github: LocalGitHub;
  let infra: RepoFixture;
  let apps: RepoFixture;
  let webhook: LoopbackServer;
  let dir: string;
  let admin: Octokit;
  /** What the stack's webhook received: the event and whether the stored secret verifies it. */
  const received: { event: string; path: string; verified: boolean }[] = [];

  beforeAll(async () => {
    [infra, apps] = await Promise.all([createRepoFixture(), createRepoFixture()]);
    for (const fixture of [infra, apps]) {
      await fixture.commit({ 'pushgate.yml': 'version: 1\n' }, 'Initial commit');
      await fixture.push('--quiet', 'origin', 'main');
    }
    // Stands in for the deployed webhook: checks each delivery against the secret setup stored.
    webhook = await listenOnLoopback((req, res) => {
      void readBody(req).then(async (body) => {
        const secret = parameters.get(names.webhookSecret) ?? '';
        const signature = String(req.headers['x-hub-signature-256'] ?? '');
        received.push({
          event: String(req.headers['x-github-event']),
          path: req.url ?? '',
          verified: secret !== '' && (await verify(secret, body.toString('utf8'), signature)),
        });
        sendJson(res, 200, { ok: true });
      });
    });
    github = await startGitHub({
      repos: { 'acme/infra': infra.bare, 'acme/apps': apps.bare },
      token: BOT_TOKEN,
      users: [{ login: 'alice-admin', role: 'admin', token: ADMIN_TOKEN }],
    });
    admin = new Octokit({ auth: ADMIN_TOKEN, baseUrl: github.url });
    fakeAws(webhook.url);
    dir = await mkdtemp(join(tmpdir(), 'pushgate-setup-'));
    await writeFile(join(dir, 'slack-bot'), `${SLACK_BOT}\n`);
    await writeFile(join(dir, 'slack-signing'), `${SLACK_SIGNING}\n`);
    await writeFile(join(dir, 'policy.yml'), POLICY);
    await writeFile(join(dir, 'bad-policy.yml'), 'version: 2\nrepositories: []\n');
    vi.stubEnv('PUSHGATE_GITHUB_TOKEN', BOT_TOKEN);
    vi.stubEnv('GITHUB_ADMIN_TOKEN', ADMIN_TOKEN);
    vi.stubEnv('SLACK_WEBHOOK_URL', SLACK_URL);
    vi.stubEnv('AWS_REGION', 'us-east-1');
  });
  beforeEach(() => {
    ssm.resetHistory();
    secretsManager.resetHistory();
    codebuild.resetHistory();
    cloudformation.resetHistory();
    received.splice(0);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await github?.stop();
    await webhook?.stop();
    await Promise.all([infra?.cleanup(), apps?.cleanup()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const args = () => [
    '--stage',
    STAGE,
    '--repo',
    'acme/infra',
    '--repo',
    'acme/apps',
    '--github-api-url',
    github.url,
    '--slack-bot-token-file',
    join(dir, 'slack-bot'),
    '--slack-signing-secret-file',
    join(dir, 'slack-signing'),
    '--policy-file',
    join(dir, 'policy.yml'),
  ];
  const hookUrl = () => `${webhook.url}/webhooks/github`;

  it('subscribes the hook to exactly the events pushgate acts on', () => {
    // Every event GitHub documents, routed the way the webhook routes it: the ones that can start
    // something are those that are neither `ping` nor "events start no run".
    const candidates = ['push', 'pull_request', 'issue_comment', 'create', 'delete', 'release', 'status', 'check_run'];
    const handled = candidates.filter((name) =>
      githubExamples(name).some((example) => {
        const event = parseEvent(name, JSON.stringify(example));
        if (event.name === 'other' || event.name === 'ping') return false;
        try {
          routeEvent(event, {
            deliveryId: 'd',
            runId: '01J00000000000000000000000',
            receivedAt: new Date().toISOString(),
          });
        } catch {
          // A payload the contract refuses still belongs to a handled event.
        }
        return true;
      }),
    );
    expect([...HANDLED_EVENTS].sort()).toEqual(handled.sort());
  });

  it('uses the parameter names serverless.yml gives the functions', async () => {
    const yml = await readFile(new URL('serverless.yml', root), 'utf8');
    const custom = (key: string) =>
      new RegExp(`^  ${key}: (.+)$`, 'm').exec(yml)?.[1]?.replace('${sls:stage}', STAGE).trim();
    expect(custom('webhookSecretParameter')).toBe(names.webhookSecret);
    expect(custom('webhookSecretPreviousParameter')).toBe(names.webhookSecretPrevious);
    expect(custom('githubTokenParameter')).toBe(names.githubToken);
    expect(custom('policyParameter')).toBe(names.policy);
    expect(custom('slackBotTokenParameter')).toBe(names.slackBotToken);
    expect(custom('slackSigningSecretParameter')).toBe(names.slackSigningSecret);
    expect(custom('slackWebhookParameter')).toBe(names.slackWebhookUrl);
  });

  it('a dry run prints every step and changes nothing', async () => {
    const { code, stdout, stderr } = await setup(...args(), '--dry-run');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('(dry run: nothing was changed)');
    for (const line of [
      `would create  ${names.webhookSecret}`,
      `would create  ${names.policy}`,
      `would create  ${names.githubToken}`,
      `would create  ${names.slackBotToken}`,
      `would create  ${names.slackSigningSecret}`,
      `would create  ${names.slackWebhookUrl}`,
      'would create  CodeBuild GitHub source credential (us-east-1)',
      'would create  acme/infra',
      'would create  acme/apps',
    ]) {
      expect(stdout).toContain(line);
    }
    expect(stdout).toContain(`webhook URL ${hookUrl()} (output HttpApiUrl of stack pushgate-prod)`);
    expect(stdout).toContain('events issue_comment, pull_request, push');
    expect(writes()).toEqual([]);
    expect(github.hooks('acme/infra')).toEqual([]);
    expect(github.deliveries).toEqual([]);
    expect(received).toEqual([]);
    expectNoSecret(stdout);
  });

  it('stores every secret as a SecureString, connects CodeBuild, registers the hooks, and prints no secret', async () => {
    // acme/apps has a hook at the same URL already, subscribed to the wrong events: it is updated, not doubled.
    await admin.rest.repos.createWebhook({
      owner: 'acme',
      repo: 'apps',
      events: ['push', 'release'],
      config: { url: hookUrl(), content_type: 'form', secret: 'old' },
    });
    received.splice(0);

    const { code, stdout, stderr } = await setup(...args());
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const puts = ssm.commandCalls(PutParameterCommand).map((call) => call.args[0].input);
    expect(puts.map(({ Name, Type, Overwrite }) => ({ Name, Type, Overwrite }))).toEqual([
      { Name: names.webhookSecret, Type: 'SecureString', Overwrite: false },
      // The policy is not a secret: a String, readable in the console.
      { Name: names.policy, Type: 'String', Overwrite: false },
      ...[names.githubToken, names.slackBotToken, names.slackSigningSecret, names.slackWebhookUrl].map((Name) => ({
        Name,
        Type: 'SecureString',
        Overwrite: false,
      })),
    ]);
    expect(parameters.get(names.policy)).toBe(POLICY.trimEnd());
    const webhookSecret = parameters.get(names.webhookSecret)!;
    expect(webhookSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(parameters.get(names.githubToken)).toBe(BOT_TOKEN);
    expect(parameters.get(names.slackBotToken)).toBe(SLACK_BOT);
    expect(parameters.get(names.slackSigningSecret)).toBe(SLACK_SIGNING);
    expect(parameters.get(names.slackWebhookUrl)).toBe(SLACK_URL);

    expect(codebuild.commandCalls(ImportSourceCredentialsCommand).map((call) => call.args[0].input)).toEqual([
      { serverType: 'GITHUB', authType: 'PERSONAL_ACCESS_TOKEN', token: BOT_TOKEN, shouldOverwrite: false },
    ]);

    for (const repo of ['acme/infra', 'acme/apps']) {
      const hooks = github.hooks(repo);
      expect(hooks, repo).toHaveLength(1);
      expect(hooks[0]).toMatchObject({
        active: true,
        config: { url: hookUrl(), content_type: 'json', insecure_ssl: '0', secret: webhookSecret },
      });
      expect([...hooks[0]!.events].sort()).toEqual([...HANDLED_EVENTS].sort());
    }
    // The new hook was pinged, signed with the stored secret, and the webhook answered 2xx.
    expect(received).toEqual([{ event: 'ping', path: '/webhooks/github', verified: true }]);
    expect(stdout).toMatch(/github-hook\s+created\s+acme\/infra/);
    expect(stdout).toMatch(/github-hook\s+updated\s+acme\/apps/);
    expect(stdout).toContain('events were push, release');
    expect(stdout).toContain(`Interactivity's Request URL to ${webhook.url}/slack/actions`);
    expect(stdout).toContain('pushgate status --repo acme/infra --table pushgate-prod-PushgateTable-ABC');
    expectNoSecret(stdout);
  });

  it('delivers later events to the registered hook, verifiable with the stored secret', async () => {
    const bot = new Octokit({ auth: BOT_TOKEN, baseUrl: github.url });
    const before = (await bot.rest.repos.getCommit({ owner: 'acme', repo: 'infra', ref: 'main' })).data.sha;
    await bot.rest.repos.createCommitComment({ owner: 'acme', repo: 'infra', commit_sha: before, body: 'hello' });
    // commit_comment is not one of the hook's events: nothing is delivered.
    expect(received).toEqual([]);
    const after = await infra.commit({ 'main.tf': 'x\n' }, 'Add main.tf');
    await infra.push('--quiet', 'origin', 'main');
    // What the post-receive hook tells the local GitHub after the push.
    await github.refsUpdated('acme/infra', [{ ref: 'refs/heads/main', before, after }]);
    expect(received).toEqual([{ event: 'push', path: '/webhooks/github', verified: true }]);
  });

  it('a second run changes nothing', async () => {
    const secret = parameters.get(names.webhookSecret);
    const { code, stdout } = await setup(...args());
    expect(code).toBe(0);
    expect(writes()).toEqual([]);
    expect(parameters.get(names.webhookSecret)).toBe(secret);
    expect(stdout).not.toMatch(/created|updated|would/);
    // stack, webhook secret, policy, token, three Slack settings, CodeBuild, two hooks.
    expect(stdout.match(/ unchanged /g)?.length).toBe(10);
    expect(github.hooks('acme/infra')).toHaveLength(1);
    expect(received).toEqual([]);
    expectNoSecret(stdout);
  });

  it('rotates the webhook secret only when asked, keeping the old one as the previous one', async () => {
    const old = parameters.get(names.webhookSecret)!;
    const { code, stdout } = await setup(...args(), '--rotate-webhook-secret', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { steps: { step: string; target: string; action: string }[] };
    const fresh = parameters.get(names.webhookSecret)!;
    expect(fresh).not.toBe(old);
    expect(parameters.get(names.webhookSecretPrevious)).toBe(old);
    expect(
      ssm.commandCalls(PutParameterCommand).map(({ args: [{ input }] }) => [input.Name, input.Type, input.Overwrite]),
    ).toEqual([
      [names.webhookSecretPrevious, 'SecureString', false],
      [names.webhookSecret, 'SecureString', true],
    ]);
    expect(github.hooks('acme/infra')[0]?.config.secret).toBe(fresh);
    expect(report.steps.filter((s) => s.step === 'github-hook').map((s) => s.action)).toEqual(['update', 'update']);
    expect(codebuild.commandCalls(ImportSourceCredentialsCommand)).toEqual([]);
    expectNoSecret(stdout);
  });

  it('stores a GitHub App in Secrets Manager and says how to connect CodeBuild to it', async () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\n';
    await writeFile(join(dir, 'app.pem'), key);
    sourceCredentials = [];
    const appArgs = [
      '--stage',
      STAGE,
      '--repo',
      'acme/infra',
      '--github-api-url',
      github.url,
      '--github-app-id',
      '4242',
      '--github-app-key-file',
      join(dir, 'app.pem'),
    ];
    vi.stubEnv('PUSHGATE_GITHUB_TOKEN', '');
    try {
      const first = await setup(...appArgs);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(secretsManager.commandCalls(CreateSecretCommand).map((c) => c.args[0].input.Name)).toEqual([
        'pushgate/prod/github-app',
      ]);
      expect(JSON.parse(secrets.get('pushgate/prod/github-app')!)).toEqual({ appId: 4242, privateKey: key.trimEnd() });
      expect(first.stdout).toContain('--param="githubAppSecret=pushgate/prod/github-app"');
      expect(first.stdout).toContain('aws codeconnections create-connection --provider-type GitHub');
      expect(codebuild.commandCalls(ImportSourceCredentialsCommand)).toEqual([]);
      expect(first.stdout).not.toContain('MIIEabc');

      secretsManager.resetHistory();
      const connection =
        'arn:aws:codeconnections:us-east-1:111111111111:connection/0123abcd-0000-1111-2222-333344445555';
      const second = await setup(...appArgs, '--codebuild-connection-arn', connection);
      expect(second.code).toBe(0);
      expect(secretsManager.commandCalls(CreateSecretCommand)).toEqual([]);
      expect(secretsManager.commandCalls(PutSecretValueCommand)).toEqual([]);
      expect(codebuild.commandCalls(ImportSourceCredentialsCommand).map((call) => call.args[0].input)).toEqual([
        { serverType: 'GITHUB', authType: 'CODECONNECTIONS', token: connection, shouldOverwrite: false },
      ]);
    } finally {
      vi.stubEnv('PUSHGATE_GITHUB_TOKEN', BOT_TOKEN);
    }
  });

  it("never replaces CodeBuild's GitHub credential it did not create, unless asked", async () => {
    const theirs = 'arn:aws:codeconnections:us-east-1:111111111111:connection/99999999-0000-1111-2222-333344445555';
    const ours = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0123abcd-0000-1111-2222-333344445555';
    sourceCredentials = [
      {
        arn: 'arn:aws:codebuild:us-east-1:111111111111:token/github',
        serverType: 'GITHUB',
        authType: 'CODECONNECTIONS',
        resource: theirs,
      },
    ];
    codebuild.resetHistory();
    const kept = await setup(...args(), '--codebuild-connection-arn', ours, '--json');
    expect(kept.code).toBe(0);
    const report = JSON.parse(kept.stdout) as { steps: { step: string; action: string; detail: string }[] };
    const step = report.steps.find((s) => s.step === 'codebuild');
    expect(step?.action).toBe('manual');
    expect(step?.detail).toContain(theirs);
    expect(step?.detail).toContain('--replace-codebuild-credential');
    expect(codebuild.commandCalls(ImportSourceCredentialsCommand)).toEqual([]);

    const replaced = await setup(...args(), '--codebuild-connection-arn', ours, '--replace-codebuild-credential');
    expect(replaced.code).toBe(0);
    expect(codebuild.commandCalls(ImportSourceCredentialsCommand).map((call) => call.args[0].input)).toEqual([
      { serverType: 'GITHUB', authType: 'CODECONNECTIONS', token: ours, shouldOverwrite: true },
    ]);
  });

  it('usage errors exit 2, failed calls exit 1, neither with a secret', async () => {
    const noRepo = await setup('--stage', STAGE, '--github-api-url', github.url);
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toContain('--repo: name the repository whose webhook to register');

    const badPolicy = await setup(...args(), '--policy-file', join(dir, 'bad-policy.yml'));
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toContain('has 1 problem');
    expect(badPolicy.stderr).toContain('expected version: 1');

    const badApp = await setup('--stage', STAGE, '--repo', 'acme/infra', '--github-app-id', '1');
    expect(badApp.code).toBe(2);
    expect(badApp.stderr).toContain('private key');

    const noStack = await setup('--stage', 'staging', '--repo', 'acme/infra', '--github-api-url', github.url);
    expect(noStack.code).toBe(1);
    expect(noStack.stderr).toContain('stack pushgate-staging does not exist in us-east-1: deploy first');
    expect(writes()).toEqual([]);
    expectNoSecret(`${noRepo.stderr}${badPolicy.stderr}${badApp.stderr}${noStack.stderr}`);
  });
});
