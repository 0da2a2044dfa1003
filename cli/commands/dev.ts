import { Command, InvalidArgumentError } from 'commander';
import { startDevServer } from '../../local/dev-server.ts';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 = any free port)');
  }
  return parsed;
}

function repoName(value: string): string {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(value)) throw new InvalidArgumentError('expected owner/name');
  return value;
}

/**
 * `pushgate dev`: pushgate's AWS and GitHub on this machine. Pushes to the printed remote deploy;
 * progress is printed as it happens; SIGINT / SIGTERM stop everything it started.
 */
export function devCommand(): Command {
  return new Command('dev')
    .description(
      'run pushgate on this machine: DynamoDB, S3, Step Functions, CodeBuild, Lambda, GitHub and Slack on loopback',
    )
    .option('--port <port>', 'port of the webhook endpoint (0 = any free port)', port, 0)
    .option('--data <dir>', 'keep the table, artifacts, repository and secret here across restarts')
    .option('--repo <owner/name>', 'the repository name pushes deploy as', repoName, 'local/infra')
    .option('--json', 'print one JSON line when ready (endpoints, secret, remote) and progress on stderr')
    .action(async (options: { port: number; data?: string; repo: string; json?: boolean }) => {
      const out = options.json ? process.stderr : process.stdout;
      const started = Date.now();
      const dev = await startDevServer({
        port: options.port,
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

      if (options.json) {
        process.stdout.write(`${JSON.stringify(dev.readyInfo())}\n`);
        return;
      }
      const info = dev.readyInfo();
      out.write(
        [
          `pushgate dev is ready (${Date.now() - started} ms)`,
          `  webhook    ${info.webhookUrl}`,
          ...Object.entries(info.endpoints).map(([name, url]) => `  ${name.padEnd(10)} ${url}`),
          options.data ? `  data       ${options.data}` : '  data       in memory (use --data DIR to keep it)',
          '',
          'Deploy from your infrastructure repository (it needs a pushgate.yml at its root):',
          `  git remote add pushgate ${dev.remote}`,
          '  git push pushgate main        # deploys the environments mapped to main',
          '  git push pushgate HEAD:feature/x   # a branch with no environment is recorded as skipped',
          '',
          'Ask what is deployed where, from another shell in that repository:',
          `  export AWS_ENDPOINT_URL_DYNAMODB=${info.endpoints.dynamodb} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
          `  export PUSHGATE_TABLE=${info.tableName} PUSHGATE_REPO=${options.repo}`,
          '  npx pushgate status              # and: npx pushgate history --env staging',
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    });
}
