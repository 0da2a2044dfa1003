import { Command, Option } from 'commander';
import { STATUSES, type Status } from '../../functions/lib/status.ts';
import type { RunRecord } from '../../functions/lib/store/types.ts';
import { durationBetween, formatDuration } from '../lib/format-duration.ts';
import { limitValue } from '../lib/limit-option.ts';
import { repoOption } from '../lib/repo-option.ts';

/** One line of `pushgate runs --json`. */
export interface RunsEntry {
  runId: string;
  /** `push`, `plan` (a pull request), `comment` or `drift`. */
  trigger: RunRecord['kind'];
  actor: string;
  branch: string;
  sha: string;
  status: Status;
  reason?: string;
  startedAt: string;
  finishedAt?: string;
  /** From start to finish; absent while the run goes on. */
  durationMs?: number;
}

export function runsEntry(run: RunRecord): RunsEntry {
  const durationMs = durationBetween(run.createdAt, run.finishedAt);
  return {
    runId: run.runId,
    trigger: run.kind,
    actor: run.actor,
    branch: run.branch,
    sha: run.sha,
    status: run.status,
    ...(run.reason === undefined ? {} : { reason: run.reason }),
    startedAt: run.createdAt,
    ...(run.finishedAt === undefined ? {} : { finishedAt: run.finishedAt }),
    ...(durationMs === undefined ? {} : { durationMs }),
  };
}

/** `pushgate runs --repo owner/name [--env e] [--status s] [--limit n]`: recent runs, newest first. */
export function runsCommand(): Command {
  return new Command('runs')
    .description('recent runs of a repository, newest first: run id, trigger, commit, status, start and duration')
    .addOption(repoOption())
    .option('--env <name>', 'only runs with a target in this environment')
    .addOption(new Option('--status <status>', 'only runs in this status').choices(STATUSES))
    .option('--limit <n>', 'how many (1–1000)', limitValue, 20)
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON: { "runs": [...] }')
    .action(
      async (options: {
        repo: string;
        env?: string;
        status?: Status;
        limit: number;
        table?: string;
        json?: boolean;
      }) => {
        // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
        const { storeFromEnv } = await import('../lib/store-from-env.ts');
        const { store } = storeFromEnv(options.table);
        const runs = (
          await store.listRuns(options.repo, {
            limit: options.limit,
            ...(options.env ? { environment: options.env } : {}),
            ...(options.status ? { status: options.status } : {}),
          })
        ).map(runsEntry);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ repo: options.repo, runs }, null, 2)}\n`);
          return;
        }
        if (runs.length === 0) {
          process.stdout.write(`no runs of ${options.repo}${options.env ? ` in ${options.env}` : ''} yet\n`);
          return;
        }
        const width = Math.max(...runs.map((r) => r.runId.length));
        for (const r of runs) {
          const took = r.durationMs === undefined ? '' : formatDuration(r.durationMs);
          process.stdout.write(
            `${r.runId.padEnd(width)}  ${r.trigger.padEnd(7)}  ${r.sha.slice(0, 7)}  ${r.status.padEnd(17)}  ${r.startedAt}  ${took}`.trimEnd() +
              '\n',
          );
        }
      },
    );
}
