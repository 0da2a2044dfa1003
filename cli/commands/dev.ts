import { Command, InvalidArgumentError } from 'commander';
import { repoOption } from '../lib/repo-option.ts';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 = any free port)');
  }
  return parsed;
}

/** A value as one shell word: URLs, names and paths print bare; anything else is single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * `pushgate dev`: pushgate's AWS and GitHub on this machine. Pushes to the printed remote deploy;
 * progress is printed as it happens; SIGINT / SIGTERM stop everything it started.
 */
export function devCommand(): Command {
  return new Command('dev')
    .description(
      'run pushgate on this machine: DynamoDB, S3, Step Functions, CodeBuild, CloudWatch Logs, Lambda, GitHub and Slack on loopback',
    )
    .option(
      '--port <port>',
      'port of the webhook endpoint (0 = any free port; default: the last one with --data, else any)',
      port,
    )
    .option(
      '--data <dir>',
      'keep the table, artifacts, repository, secret, AWS credentials and ports here across restarts',
    )
    .addOption(repoOption('the repository name pushes deploy as', { required: false }).default('local/infra'))
    .option(
      '--json',
      'print one JSON line when ready (endpoints, credentials, exports, secret, remote) and progress on stderr',
    )
    .action(async (options: { port?: number; data?: string; repo: string; json?: boolean }) => {
      // Loaded here, not at the top: the whole local stack is a second to load, and no other command needs it.
      const { startDevServer } = await import('../../local/dev-server.ts');
      const out = options.json ? process.stderr : process.stdout;
      const started = Date.now();
      const dev = await startDevServer({
        ...(options.port !== undefined ? { port: options.port } : {}),
        repo: options.repo,
        ...(options.data ? { dataDir: options.data } : {}),
        write: (line) => out.write(`${line}\n`),
      });
      let stopping: Promise<void> | undefined;
      const stop = (signal: string) => {
        stopping ??= (async () => {
          out.write(`pushgate dev: ${signal}, stopping…\n`);
          await dev.stop();
          process.exit(0);
        })();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));

      const info = dev.readyInfo();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      // Endpoints are labelled by the service id in their variable's name (sfn, not stepfunctions).
      const { dynamodb, stepfunctions, ...others } = info.endpoints;
      const endpoints = { dynamodb, sfn: stepfunctions, ...others };
      out.write(
        [
          `pushgate dev is ready (${Date.now() - started} ms)`,
          `  webhook    ${info.webhookUrl}`,
          ...Object.entries(endpoints).map(([name, url]) => `  ${name.padEnd(10)} ${url}`),
          options.data ? `  data       ${options.data}` : '  data       in memory (use --data DIR to keep it)',
          '',
          'Deploy from your infrastructure repository (it needs a pushgate.yml at its root):',
          `  git remote add pushgate ${shellWord(dev.remote)}`,
          '  git push pushgate main        # deploys the environments mapped to main',
          '  git push pushgate HEAD:feature/x   # a branch with no environment is recorded as skipped',
          '',
          'In another shell, these point pushgate, the AWS CLI and the AWS SDK at this stack:',
          ...Object.entries(info.exports).map(([name, value]) => `  export ${name}=${shellWord(value)}`),
          '',
          'Then, in your infrastructure repository:',
          '  pushgate status                # what is deployed where; and: pushgate history --env staging',
          '  pushgate run <runId>           # one run (git push prints its id) with its targets and plans',
          '  pushgate logs <runId> --follow # its plan and apply build logs, as they are written',
          '  pushgate approve <runId>       # approve a run that waits (as the local admin); or reject --reason',
          '',
          'People on the local GitHub (Octokit with their token acts as them; commits with their email are',
          `their pushes; open pull requests and comment "/pushgate approve" at ${info.endpoints.github}):`,
          ...info.github.users.map(
            (user) => `  ${user.login.padEnd(13)} ${user.role.padEnd(6)} ${user.token}  ${user.email}`,
          ),
          `Slack: messages at ${info.slack.messagesUrl}; buttons post to ${info.slack.actionsUrl}`,
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    });
}
