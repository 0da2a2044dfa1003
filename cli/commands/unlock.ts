import { Command, InvalidArgumentError } from 'commander';
import { CliUsageError } from '../lib/cli-usage-error.ts';
import { EXIT_FAILED } from '../lib/exit-codes.ts';
import { repoOption } from '../lib/repo-option.ts';

function reasonOf(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('say why');
  return value.trim();
}

/**
 * `pushgate unlock --repo r --project p --env e --reason text`: releases a target's lock whoever holds
 * it, recorded with the caller's AWS identity (STS) and the reason; refused (exit 1) while the holder
 * applies or when nothing holds it. The next run waiting for the lock is then handed it and resumed
 * (SendTaskSuccess: the caller needs `states:SendTaskSuccess` and `states:SendTaskFailure`); if that
 * fails, the lock sweep hands it over within a minute.
 */
export function unlockCommand(): Command {
  return new Command('unlock')
    .description(
      "release a target's lock whoever holds it (not while it applies); recorded with your AWS identity and the reason",
    )
    .addOption(repoOption())
    .requiredOption('--project <name>', 'the project')
    .requiredOption('--env <name>', 'the environment')
    .requiredOption('--reason <text>', 'why (recorded with who unlocked)', reasonOf)
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON: { "outcome", "owner", "by", … }')
    .action(
      async (options: {
        repo: string;
        project: string;
        env: string;
        reason: string;
        table?: string;
        json?: boolean;
      }) => {
        // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
        const [
          { storeFromEnv },
          { callerArn },
          { unlockTarget },
          { EnvironmentName, ProjectName },
          { handOver },
          { createSfnTaskResumer },
        ] = await Promise.all([
          import('../lib/store-from-env.ts'),
          import('../lib/caller-identity.ts'),
          import('../../functions/lib/store/unlock-target.ts'),
          import('../../functions/lib/config/config-schema.ts'),
          import('../../functions/lib/locks/hand-over.ts'),
          import('../../functions/lib/runtime/clients/sfn-task-resumer.ts'),
        ]);
        if (!ProjectName.safeParse(options.project).success) {
          throw new CliUsageError(`${JSON.stringify(options.project)} is not a project name`);
        }
        if (!EnvironmentName.safeParse(options.env).success) {
          throw new CliUsageError(`${JSON.stringify(options.env)} is not an environment name`);
        }
        const { store } = storeFromEnv(options.table);
        const by = await callerArn();
        const key = { repo: options.repo, project: options.project, environment: options.env };
        let handoff = 'The next run waiting for it takes it now';
        const result = await unlockTarget(store, key, { by, reason: options.reason }, undefined, async (lockKey) => {
          try {
            return await handOver(lockKey, { store, tasks: createSfnTaskResumer() });
          } catch (error) {
            handoff = `Handing it to the next waiting run failed (${error instanceof Error ? error.name : 'unknown error'}); the lock sweep does it within a minute`;
            return { superseded: [], dropped: [] };
          }
        });
        const name = `${options.project}/${options.env}`;
        const message =
          result.outcome === 'unlocked'
            ? `unlocked ${name} (it was held by run ${result.owner}), as ${by}: ${options.reason}. ${handoff}; the run that held it ends conflict if it still applies.`
            : result.outcome === 'applying'
              ? `${name} is held by run ${result.owner}, which is applying: wait for the apply to end, or stop its execution`
              : `${name} is not locked`;
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ ...key, ...result, by, reason: options.reason, message }, null, 2)}\n`,
          );
        } else if (result.outcome === 'unlocked') {
          process.stdout.write(`${message}\n`);
        } else {
          process.stderr.write(`pushgate unlock: ${message}\n`);
        }
        if (result.outcome !== 'unlocked') process.exitCode = EXIT_FAILED;
      },
    );
}
