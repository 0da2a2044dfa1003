import { Command, InvalidArgumentError } from 'commander';
import { callerIntent } from '../../functions/lib/approval/caller-intent.ts';
import { RollbackInvocation, type RollbackResult } from '../../functions/lib/rollback/rollback-invocation.ts';
import type { Status } from '../../functions/lib/status.ts';
import type { Store } from '../../functions/lib/store/types.ts';
import { CliUsageError } from '../lib/cli-usage-error.ts';
import { EXIT_FAILED } from '../lib/exit-codes.ts';
import { invokeFunction } from '../lib/invoke-function.ts';
import { repoOption } from '../lib/repo-option.ts';

interface RollbackOptions {
  repo: string;
  env: string;
  project?: string;
  to?: string;
  stage?: string;
  function?: string;
  table?: string;
  follow: boolean;
  json?: boolean;
}

/** How often the run and its targets are read while following (the store, as `pushgate run` reads it). */
const POLL_MS = 1_000;

function commitSha(value: string): string {
  if (!/^[0-9a-fA-F]{7,40}$/.test(value))
    throw new InvalidArgumentError('expected a commit sha (7 to 40 hex characters)');
  return value.toLowerCase();
}

/**
 * The rollback function's name: `--function`, else `PUSHGATE_ROLLBACK_FUNCTION`, else
 * `pushgate-<stage>-rollback` with the stage from `--stage`, `PUSHGATE_STAGE` or `local`.
 */
export function rollbackFunctionName(
  options: Pick<RollbackOptions, 'function' | 'stage'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (options.function) return options.function;
  if (env.PUSHGATE_ROLLBACK_FUNCTION) return env.PUSHGATE_ROLLBACK_FUNCTION;
  return `pushgate-${options.stage ?? env.PUSHGATE_STAGE ?? 'local'}-rollback`;
}

/**
 * `pushgate rollback --repo r --env e [--project p] [--to sha]`: asks the rollback function (as your
 * AWS identity, proven with STS) to start a run of an earlier deployed commit through the workflow,
 * prints what goes back from which commit to which, then follows the run until it ends. Exit 0 only
 * when the run succeeded; 1 when it failed or was refused; 2 for a usage error or an unknown
 * environment, project or commit.
 */
export function rollbackCommand(): Command {
  return new Command('rollback')
    .description(
      'deploy an earlier commit again (default: the last successful deployment before the current one) through the workflow, and follow the run',
    )
    .addOption(repoOption())
    .requiredOption('--env <name>', 'the environment to roll back')
    .option('--project <name>', 'only this project (default: every project deployed there)')
    .option('--to <sha>', 'the commit to go back to: one deployed there successfully before', commitSha)
    .option('--no-follow', 'start the run and return without following it')
    .option('--stage <stage>', 'the pushgate stage (default: $PUSHGATE_STAGE or local)')
    .option('--function <name>', 'the rollback function (default: pushgate-<stage>-rollback)')
    .option('--table <name>', 'the pushgate table, read to follow the run (default: $PUSHGATE_TABLE)')
    .option('--json', 'print { "runId", "status" } at the end (progress goes to stderr)')
    .action(async (options: RollbackOptions) => {
      const [{ EnvironmentName, ProjectName }, { storeFromEnv }] = await Promise.all([
        import('../../functions/lib/config/config-schema.ts'),
        import('../lib/store-from-env.ts'),
      ]);
      if (!EnvironmentName.safeParse(options.env).success) {
        throw new CliUsageError(`${JSON.stringify(options.env)} is not an environment name`);
      }
      if (options.project !== undefined && !ProjectName.safeParse(options.project).success) {
        throw new CliUsageError(`${JSON.stringify(options.project)} is not a project name`);
      }
      // Checked before anything starts: following needs the table.
      const store = options.follow ? storeFromEnv(options.table).store : undefined;
      const out = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);

      const result = await invokeRollback(options);
      if (!result.ok) {
        if (result.code !== 'refused') throw new CliUsageError(result.message);
        process.stderr.write(`pushgate rollback: ${result.message}\n`);
        if (options.json) process.stdout.write(`${JSON.stringify({ runId: null, status: 'refused' }, null, 2)}\n`);
        process.exitCode = EXIT_FAILED;
        return;
      }
      out(`rolling back ${result.repo} ${result.environment} to ${result.sha.slice(0, 7)} as ${result.actor}:`);
      const width = Math.max(...result.targets.map((t) => t.project.length));
      for (const target of result.targets) {
        out(`  ${target.project.padEnd(width)}  ${target.from.slice(0, 7)} → ${target.to.slice(0, 7)}`);
      }
      out(`run ${result.runId} (pushgate run ${result.runId})`);
      if (!store) {
        if (options.json)
          process.stdout.write(`${JSON.stringify({ runId: result.runId, status: 'queued' }, null, 2)}\n`);
        return;
      }
      const status = await follow(result.runId, store, out);
      if (options.json) process.stdout.write(`${JSON.stringify({ runId: result.runId, status }, null, 2)}\n`);
      if (status !== 'succeeded') process.exitCode = EXIT_FAILED;
    });
}

async function invokeRollback(options: RollbackOptions): Promise<RollbackResult> {
  // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
  const { presignCallerIdentity } = await import('../lib/presign-caller-identity.ts');
  const functionName = rollbackFunctionName(options);
  // The proof is bound to this request as the function will read it (callerIntent of the parsed fields).
  const request = RollbackInvocation.omit({ identity: true }).parse({
    repo: options.repo,
    environment: options.env,
    ...(options.project ? { project: options.project } : {}),
    ...(options.to ? { to: options.to } : {}),
  });
  const payload = {
    ...request,
    identity: { presignedUrl: await presignCallerIdentity(callerIntent('rollback', request)) },
  };
  const answer = await invokeFunction(functionName, payload, " (and an entry in the platform policy's awsPrincipals)");
  if (answer.functionError) throw new Error(`the rollback function failed: ${answer.text.slice(0, 500)}`);
  return JSON.parse(answer.text) as RollbackResult;
}

/**
 * Reads the run and its targets every second until the run ends, printing each change once: the
 * run's status, each target's, and for a target that waits for approval the command that gives it.
 */
async function follow(runId: string, store: Store, out: (line: string) => void): Promise<Status> {
  const { isFinal } = await import('../../functions/lib/status.ts');
  const seen = new Map<string, string>();
  for (;;) {
    const run = await store.getRun(runId);
    if (run !== undefined) {
      for (const target of await store.listTargets(runId)) {
        const key = `${target.project}/${target.environment}`;
        if (seen.get(key) === target.status) continue;
        seen.set(key, target.status);
        out(`  ${key}  ${target.status}${target.reason ? `: ${target.reason}` : ''}`);
        if (target.status === 'awaiting_approval') {
          out(`  waiting for approval: pushgate approve ${runId}`);
        }
      }
      if (seen.get('') !== run.status) {
        seen.set('', run.status);
        out(`run ${run.status}${isFinal(run.status) && run.reason ? `: ${run.reason}` : ''}`);
      }
      if (isFinal(run.status)) return run.status;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
