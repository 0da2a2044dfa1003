import { Command } from 'commander';

/** Exit codes: 0 set up (or dry run printed), 1 a call to AWS or GitHub failed, 2 a usage error. */
export const SETUP_FAILED_EXIT_CODE = 1;
export const SETUP_USAGE_EXIT_CODE = 2;

export interface SetupOptions {
  stage?: string;
  region?: string;
  stack?: string;
  repo?: string[];
  webhookUrl?: string;
  policyFile?: string;
  githubTokenFile?: string;
  githubAppId?: string;
  githubAppKeyFile?: string;
  githubAppSecret?: string;
  adminTokenFile?: string;
  githubApiUrl?: string;
  slackBotTokenFile?: string;
  slackSigningSecretFile?: string;
  slackWebhookUrlFile?: string;
  codebuildConnectionArn?: string;
  rotateWebhookSecret?: boolean;
  replaceCodebuildCredential?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `pushgate setup --stage <stage> --repo owner/name`: after `npm run deploy`, stores the webhook
 * secret, GitHub's and Slack's credentials, connects CodeBuild to GitHub and registers each
 * repository's webhook. Secrets come from files (`-`: standard input) or environment variables,
 * never from a flag's value, and are never printed.
 */
export function setupCommand(): Command {
  return new Command('setup')
    .description(
      'after a deploy: store the webhook secret and the GitHub / Slack credentials (SSM, Secrets Manager), connect CodeBuild to GitHub, register the repositories\u2019 webhooks',
    )
    .option(
      '--stage <stage>',
      'the deployed stage (default: $PUSHGATE_STAGE or dev)',
      process.env.PUSHGATE_STAGE ?? 'dev',
    )
    .option('--region <region>', 'the stack\u2019s region (default: $AWS_REGION, else us-east-1 as serverless.yml)')
    .option('--stack <name>', 'the stack (default: pushgate-<stage>)')
    .option('--repo <owner/name>', 'a repository to register the webhook on (repeatable)', collect)
    .option(
      '--webhook-url <url>',
      'where GitHub delivers (default: the stack\u2019s HttpApiUrl output + /webhooks/github)',
    )
    .option('--policy-file <path>', 'the platform policy (YAML or JSON), checked, stored in /pushgate/<stage>/policy')
    .option('--github-token-file <path>', 'the GitHub token pushgate uses (`-`: stdin; else $PUSHGATE_GITHUB_TOKEN)')
    .option('--github-app-id <id>', 'a GitHub App instead of a token: its id')
    .option(
      '--github-app-key-file <path>',
      'the App\u2019s private key, PEM (`-`: stdin; else $PUSHGATE_GITHUB_APP_PRIVATE_KEY)',
    )
    .option(
      '--github-app-secret <name>',
      'the Secrets Manager secret for the App: the githubAppSecret setting (default: pushgate/<stage>/github-app)',
    )
    .option(
      '--admin-token-file <path>',
      'a token with admin on the repositories to register webhooks (`-`: stdin; else $GITHUB_ADMIN_TOKEN; default: the GitHub token)',
    )
    .option('--github-api-url <url>', 'GitHub\u2019s API (default: $GITHUB_API_URL or https://api.github.com)')
    .option('--slack-bot-token-file <path>', 'the Slack bot token (`-`: stdin; else $SLACK_BOT_TOKEN)')
    .option('--slack-signing-secret-file <path>', 'the Slack signing secret (`-`: stdin; else $SLACK_SIGNING_SECRET)')
    .option('--slack-webhook-url-file <path>', 'the Slack incoming webhook URL (`-`: stdin; else $SLACK_WEBHOOK_URL)')
    .option(
      '--codebuild-connection-arn <arn>',
      'a CodeConnections connection to GitHub for CodeBuild (with a GitHub App)',
    )
    .option(
      '--replace-codebuild-credential',
      'replace a GitHub source credential CodeBuild already has in this account and region (shared by every CodeBuild project there)',
    )
    .option('--rotate-webhook-secret', 'replace the webhook secret (the old one stays accepted as the previous one)')
    .option('--dry-run', 'print every step without changing anything (reads only)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Reads (never from a flag's value, never printed):
  PUSHGATE_GITHUB_TOKEN, PUSHGATE_GITHUB_APP_PRIVATE_KEY, GITHUB_ADMIN_TOKEN,
  SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_WEBHOOK_URL (or the matching --…-file)
Exit codes: 0 done, 1 a call to AWS or GitHub failed, 2 a usage error.
Example:
  PUSHGATE_GITHUB_TOKEN=$(cat token.txt) pushgate setup --stage prod --repo acme/infra --dry-run`,
    )
    .action(async (options: SetupOptions) => {
      // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
      const { setupFromOptions } = await import('../lib/setup/setup-from-options.ts');
      const result = await setupFromOptions(options);
      if (!result.ok) {
        process.stderr.write(`pushgate setup: ${result.message}\n`);
        process.exitCode = result.usage ? SETUP_USAGE_EXIT_CODE : SETUP_FAILED_EXIT_CODE;
        return;
      }
      process.stdout.write(options.json ? `${JSON.stringify(result.report, null, 2)}\n` : result.text);
    });
}
