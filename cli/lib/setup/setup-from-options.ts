import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Octokit } from '@octokit/rest';
import * as z from 'zod';
import { PolicyError } from '../../../functions/lib/policy/policy-error.ts';
import { parsePolicy } from '../../../functions/lib/policy/read-policy.ts';
import settings from '../../../infra/settings.cjs';
import type { SetupOptions } from '../../commands/setup.ts';
import { formatSetupReport } from './format-setup-report.ts';
import { readSecretInput, SetupUsageError, type SecretSource } from './read-secret-input.ts';
import { runSetup, SetupError, type GitHubCredential, type SetupClients, type SetupReport } from './run-setup.ts';

export type SetupResult =
  { ok: true; report: SetupReport; text: string } | { ok: false; usage: boolean; message: string };

const Options = z.object({
  stage: z.string().regex(/^[A-Za-z0-9-]{1,40}$/, 'expected a stage name such as dev or prod'),
  region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'expected a region such as us-east-1'),
  stack: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a stack name'),
  repo: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name'))
    .min(1, 'name the repository whose webhook to register: --repo owner/name (repeatable)'),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  githubApiUrl: z.url({ protocol: /^https?$/ }),
  githubAppId: z.coerce.number().int().positive().optional(),
  githubAppSecret: z
    .string()
    .regex(
      settings.SECRET_NAME_PATTERN,
      'expected a Secrets Manager secret name under pushgate/ (the githubAppSecret setting)',
    ),
  codebuildConnectionArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:(?:codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/,
      'expected a CodeConnections connection ARN',
    )
    .optional(),
});

/**
 * `pushgate setup`'s options checked, its secrets read (files, stdin, environment), the clients
 * built once, then runSetup. Usage problems come back as `{ usage: true }` (exit 2), failed calls
 * as `{ usage: false }` (exit 1); neither message ever holds a secret.
 */
export async function setupFromOptions(
  options: SetupOptions,
  env: NodeJS.ProcessEnv = process.env,
  clients: Partial<SetupClients> = {},
): Promise<SetupResult> {
  try {
    const stage = options.stage ?? env.PUSHGATE_STAGE ?? 'dev';
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const parsed = Options.safeParse({
      ...options,
      repo: options.repo ?? [],
      stage,
      region,
      stack: options.stack ?? `pushgate-${stage}`,
      githubApiUrl: options.githubApiUrl ?? env.GITHUB_API_URL ?? 'https://api.github.com',
      githubAppSecret: options.githubAppSecret ?? `pushgate/${stage}/github-app`,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const flag = String(issue?.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new SetupUsageError(`--${flag}: ${issue?.message}`);
    }
    const input = parsed.data;
    const stdinUsers = Object.entries(options).filter(([key, value]) => key.endsWith('File') && value === '-');
    if (stdinUsers.length > 1) throw new SetupUsageError('only one --…-file may be `-` (standard input)');

    const secret = (source: SecretSource) => readSecretInput(source, env);
    // Not a secret, but read the same way; checked with the schema the functions read it with.
    const policy =
      options.policyFile === undefined
        ? undefined
        : await readSecretInput({ label: 'the platform policy', file: options.policyFile });
    if (policy !== undefined) {
      try {
        parsePolicy(policy, options.policyFile!);
      } catch (error) {
        if (error instanceof PolicyError) throw new SetupUsageError(error.message, { cause: error });
        throw error;
      }
    }
    const token = await secret({
      label: 'the GitHub token',
      file: options.githubTokenFile,
      env: 'PUSHGATE_GITHUB_TOKEN',
    });
    const appKey = await secret({
      label: 'the GitHub App private key',
      file: options.githubAppKeyFile,
      env: 'PUSHGATE_GITHUB_APP_PRIVATE_KEY',
    });
    const adminToken = await secret({
      label: 'the admin token',
      file: options.adminTokenFile,
      env: 'GITHUB_ADMIN_TOKEN',
    });
    const slack = {
      botToken: await secret({ label: 'the Slack bot token', file: options.slackBotTokenFile, env: 'SLACK_BOT_TOKEN' }),
      signingSecret: await secret({
        label: 'the Slack signing secret',
        file: options.slackSigningSecretFile,
        env: 'SLACK_SIGNING_SECRET',
      }),
      webhookUrl: await secret({
        label: 'the Slack webhook URL',
        file: options.slackWebhookUrlFile,
        env: 'SLACK_WEBHOOK_URL',
      }),
    };

    let github: GitHubCredential | undefined;
    if (input.githubAppId !== undefined || appKey !== undefined) {
      if (token !== undefined && options.githubTokenFile !== undefined) {
        throw new SetupUsageError('give a GitHub token or a GitHub App, not both');
      }
      if (input.githubAppId === undefined)
        throw new SetupUsageError('--github-app-id: required with the App\u2019s key');
      if (appKey === undefined) {
        throw new SetupUsageError(
          'the App\u2019s private key: --github-app-key-file or PUSHGATE_GITHUB_APP_PRIVATE_KEY',
        );
      }
      if (!/^-----BEGIN (?:RSA )?PRIVATE KEY-----/.test(appKey.trim())) {
        throw new SetupUsageError(
          'the App\u2019s private key is not a PEM private key (-----BEGIN … PRIVATE KEY-----)',
        );
      }
      github = { kind: 'app', appId: input.githubAppId, privateKey: appKey, secretName: input.githubAppSecret };
    } else if (token !== undefined) {
      if (/\s/.test(token)) throw new SetupUsageError('the GitHub token has spaces in it: is it the right file?');
      github = { kind: 'token', token };
    }
    if (slack.webhookUrl !== undefined && !URL.canParse(slack.webhookUrl)) {
      throw new SetupUsageError('the Slack webhook URL is not a URL');
    }
    const hookToken = adminToken ?? (github?.kind === 'token' ? github.token : undefined);
    if (hookToken === undefined) {
      throw new SetupUsageError(
        'no token to register the webhooks with: give the GitHub token (--github-token-file or PUSHGATE_GITHUB_TOKEN) or a token with admin on the repositories (--admin-token-file or GITHUB_ADMIN_TOKEN)',
      );
    }

    const report = await runSetup(
      {
        stage: input.stage,
        region: input.region,
        stackName: input.stack,
        repos: input.repo,
        webhookUrl: input.webhookUrl,
        policy,
        github,
        slack,
        codebuildConnectionArn: input.codebuildConnectionArn,
        rotateWebhookSecret: options.rotateWebhookSecret === true,
        replaceCodeBuildCredential: options.replaceCodebuildCredential === true,
        dryRun: options.dryRun === true,
      },
      {
        ssm: clients.ssm ?? new SSMClient({ region }),
        secretsManager: clients.secretsManager ?? new SecretsManagerClient({ region }),
        codebuild: clients.codebuild ?? new CodeBuildClient({ region }),
        cloudformation: clients.cloudformation ?? new CloudFormationClient({ region }),
        github:
          clients.github ??
          new Octokit({
            auth: hookToken,
            baseUrl: input.githubApiUrl.replace(/\/+$/, ''),
            userAgent: 'pushgate-setup',
            // Octokit would log each request; a failure is reported once, as the step that failed.
            log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
          }),
      },
    );
    return { ok: true, report, text: formatSetupReport(report) };
  } catch (error) {
    if (error instanceof SetupUsageError) return { ok: false, usage: true, message: error.message };
    if (error instanceof SetupError) return { ok: false, usage: false, message: error.message };
    throw error;
  }
}
