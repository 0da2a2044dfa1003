import { Command } from 'commander';
import { repoOption } from '../lib/repo-option.ts';
import { CliUsageError } from '../lib/cli-usage-error.ts';

/** Runs searched for a short sha: a prefix is resolved among the repository's most recent runs. */
const PREFIX_SEARCH_RUNS = 1000;

/** One environment and project that runs the commit (`pushgate where --json`). */
export interface WhereEntry {
  environment: string;
  project: string;
  deployedAt: string;
  runId: string;
  actor: string;
}

/**
 * `pushgate where <sha> --repo owner/name`: which environments and projects run that commit now.
 * The environments are those the commit's runs had targets in; each one's "deployed now" records
 * say which projects still run it. A short sha (7 or more hex digits) is resolved among the
 * repository's recent runs; an unknown or ambiguous one is a usage error (exit 2).
 */
export function whereCommand(): Command {
  return new Command('where')
    .description('which environments and projects run a commit now')
    .argument('<sha>', 'the commit: its full sha, or 7 or more of its first hex digits')
    .addOption(repoOption())
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON: { "repo", "sha", "running": [{ "environment", "project", … }] }')
    .action(async (shaArgument: string, options: { repo: string; table?: string; json?: boolean }) => {
      const given = shaArgument.toLowerCase();
      if (!/^[0-9a-f]{7,40}$/.test(given)) {
        throw new CliUsageError(`${JSON.stringify(shaArgument)} is not a commit sha: give 7 to 40 hex digits`);
      }
      // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
      const { storeFromEnv } = await import('../lib/store-from-env.ts');
      const { store } = storeFromEnv(options.table);
      let sha = given;
      if (given.length < 40) {
        const shas = new Set(
          (await store.listRuns(options.repo, { limit: PREFIX_SEARCH_RUNS }))
            .map((run) => run.sha)
            .filter((each) => each.startsWith(given)),
        );
        if (shas.size > 1) {
          throw new CliUsageError(`${given} names more than one commit (${[...shas].join(', ')}): give more digits`);
        }
        const [only] = shas;
        if (only === undefined) {
          throw new CliUsageError(`no run of a commit starting ${given} among the last runs of ${options.repo}`);
        }
        sha = only;
      }
      const runs = await store.findRunsBySha(options.repo, sha);
      if (runs.length === 0) throw new CliUsageError(`no run of commit ${sha} in ${options.repo}`);
      const environments = new Set<string>();
      for (const run of runs)
        for (const target of await store.listTargets(run.runId)) environments.add(target.environment);
      const running: WhereEntry[] = [];
      for (const environment of [...environments].sort()) {
        for (const deployed of await store.getCurrent(options.repo, environment)) {
          if (deployed.sha !== sha) continue;
          const { project, deployedAt, runId, actor } = deployed;
          running.push({ environment, project, deployedAt, runId, actor });
        }
      }
      running.sort((a, b) => `${a.environment}/${a.project}`.localeCompare(`${b.environment}/${b.project}`));
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ repo: options.repo, sha, running }, null, 2)}\n`);
        return;
      }
      if (running.length === 0) {
        process.stdout.write(
          `${sha} runs nowhere now (${runs.length} run${runs.length === 1 ? '' : 's'} of it: pushgate runs)\n`,
        );
        return;
      }
      process.stdout.write(`${sha} runs in\n`);
      for (const r of running) {
        process.stdout.write(
          `  ${r.environment.padEnd(12)} ${r.project.padEnd(16)} since ${r.deployedAt}  by ${r.actor}  run ${r.runId}\n`,
        );
      }
    });
}
