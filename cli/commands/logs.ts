import { Command, InvalidArgumentError } from 'commander';
import { EXIT_FAILED } from '../lib/exit-codes.ts';
import { parseTarget } from '../lib/logs/run-logs.ts';

function target(value: string): { project: string; environment: string } {
  const parsed = parseTarget(value);
  if (!parsed) throw new InvalidArgumentError('expected <project>/<environment>, e.g. network/prod');
  return parsed;
}

/**
 * `pushgate logs <runId>`: the plan and apply build logs of a run, read where CodeBuild writes them
 * (CloudWatch Logs; the local stack's stand-in under `pushgate dev`). The run's builds come from its
 * execution history and target records, their status and log location from CodeBuild. `--follow`
 * keeps reading until the run starts no more builds and exits 1 if one failed. The AWS SDK finds
 * each service as usual (credentials, AWS_REGION, AWS_ENDPOINT_URL_<service>).
 */
export function logsCommand(): Command {
  return new Command('logs')
    .description('the plan and apply build logs of a run (CloudWatch Logs), or --follow them as they are written')
    .argument('<runId>', 'the run id (`git push` and the Slack message name it)')
    .option('--target <project/environment>', "only this target's builds, e.g. network/prod", target)
    .option('--follow', 'keep reading (every second) until the run starts no more builds; exit 1 if one failed')
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option(
      '--json',
      'print JSON: { runId, builds: [{ project, environment, phase, buildId, status, logGroup, logStream, lines }] }',
    )
    .addHelpText(
      'after',
      `
Exits 0 when every build shown succeeded (or still runs), 1 when one failed, 2 for an unknown run id.
Needs codebuild:BatchGetBuilds, logs:GetLogEvents on /aws/codebuild/*, states:GetExecutionHistory and read access to the table.`,
    )
    .action(
      async (
        runId: string,
        options: {
          target?: { project: string; environment: string };
          follow?: boolean;
          table?: string;
          json?: boolean;
        },
      ) => {
        // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
        const [{ storeFromEnv }, { createLogSources }, { readRunLogs }, logsSdk, codebuildSdk, sfnSdk] =
          await Promise.all([
            import('../lib/store-from-env.ts'),
            import('../lib/logs/log-sources.ts'),
            import('../lib/logs/run-logs.ts'),
            import('@aws-sdk/client-cloudwatch-logs'),
            import('@aws-sdk/client-codebuild'),
            import('@aws-sdk/client-sfn'),
          ]);
        const { store } = storeFromEnv(options.table);
        const clients = {
          logs: new logsSdk.CloudWatchLogsClient({}),
          codebuild: new codebuildSdk.CodeBuildClient({}),
          sfn: new sfnSdk.SFNClient({}),
        };
        try {
          const { report, ok } = await readRunLogs({ store, sources: createLogSources(clients) }, runId, {
            ...(options.target ? { target: options.target } : {}),
            follow: options.follow ?? false,
            ...(options.json ? {} : { write: (text: string) => process.stdout.write(text) }),
            progress: (line) => process.stderr.write(`pushgate logs: ${line}\n`),
          });
          if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          if (!ok) process.exitCode = EXIT_FAILED;
        } finally {
          for (const client of Object.values(clients)) client.destroy();
        }
      },
    );
}
