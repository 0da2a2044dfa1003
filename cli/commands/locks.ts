import { Command } from 'commander';
import { repoOption } from '../lib/repo-option.ts';

/** `pushgate locks --repo owner/name`: the held locks of a repository, with the runs waiting for them. */
export function locksCommand(): Command {
  return new Command('locks')
    .description('held locks: project, environment, the run that holds it, since when, its lease, and the runs waiting')
    .addOption(repoOption())
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON: { "repo", "locks": [{ "project", "environment", "owner", … , "waiting" }] }')
    .action(async (options: { repo: string; table?: string; json?: boolean }) => {
      // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
      const { storeFromEnv } = await import('../lib/store-from-env.ts');
      const { store } = storeFromEnv(options.table);
      const locks = await store.listLocks(options.repo);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ repo: options.repo, locks }, null, 2)}\n`);
        return;
      }
      if (locks.length === 0) {
        process.stdout.write(`no locks held in ${options.repo}\n`);
        return;
      }
      for (const lock of locks) {
        const lease = lock.expired ? `lease ended ${lock.leaseExpiresAt}` : `lease until ${lock.leaseExpiresAt}`;
        process.stdout.write(
          `${lock.project}/${lock.environment}  held by run ${lock.owner} since ${lock.acquiredAt} (${lease})\n`,
        );
        for (const waiter of lock.waiting) {
          process.stdout.write(`  waiting: run ${waiter.owner} (last asked ${waiter.seenAt})\n`);
        }
        process.stdout.write(
          `  pushgate unlock --repo ${options.repo} --project ${lock.project} --env ${lock.environment} --reason <why>\n`,
        );
      }
    });
}
