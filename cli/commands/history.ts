import { Command, InvalidArgumentError } from 'commander';
import { formatSummary } from '../../functions/lib/plan/format-summary.ts';
import { repoOption } from '../lib/repo-option.ts';

function limit(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1000)
    throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return parsed;
}

/** `pushgate history --repo owner/name --env prod`: the deployments of an environment, newest first. */
export function historyCommand(): Command {
  return new Command('history')
    .description('the deployments of one environment, newest first')
    .addOption(repoOption())
    .requiredOption('--env <name>', 'the environment')
    .option('--project <name>', 'only this project')
    .option('--limit <n>', 'how many (1–1000)', limit, 20)
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON')
    .action(
      async (options: {
        repo: string;
        env: string;
        project?: string;
        limit: number;
        table?: string;
        json?: boolean;
      }) => {
        // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
        const { storeFromEnv } = await import('../lib/store-from-env.ts');
        const { store } = storeFromEnv(options.table);
        const deployments = await store.listDeployments(options.repo, options.env, {
          limit: options.limit,
          ...(options.project ? { project: options.project } : {}),
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(deployments, null, 2)}\n`);
          return;
        }
        if (deployments.length === 0) {
          process.stdout.write(`no deployments of ${options.repo} to ${options.env} yet\n`);
          return;
        }
        for (const d of deployments) {
          const summary = d.summary ? `  ${formatSummary(d.summary)}` : '';
          process.stdout.write(
            `${d.deployedAt}  ${d.project.padEnd(16)} ${d.sha.slice(0, 7)}  by ${d.actor}  run ${d.runId}${summary}\n`,
          );
        }
      },
    );
}
