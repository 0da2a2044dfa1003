import { Command } from 'commander';
import { describeApproval } from './status.ts';
import { formatSummary } from '../../functions/lib/plan/format-summary.ts';
import type { RunRecord, TargetRecord } from '../../functions/lib/store/types.ts';

/** Exit code for "no such run", apart from 1 (the run failed, or anything else went wrong). */
export const UNKNOWN_RUN_EXIT_CODE = 2;

/** What `pushgate run --json` prints: the run record, how it was triggered, and its targets. */
export interface RunReport extends RunRecord {
  trigger: string;
  /** Without `approvalTaskToken`: whoever holds it can approve the run, and a report is for reading. */
  targets: Omit<TargetRecord, 'approvalTaskToken'>[];
}

/**
 * `pushgate run <runId>`: one run as it is recorded, with its targets, their plans and why they ended
 * as they did. It is what the local stack links to instead of a Step Functions console page (there is
 * none for account 000000000000); it reads the table as `pushgate status` does, so it works on AWS too.
 * Exits 2 for an unknown run id and 1 when the run failed, so scripts can wait on it.
 */
export function runCommand(): Command {
  return new Command('run')
    .description('one run: repository, commit, trigger, status and reason, and each target with its plan')
    .argument('<runId>', 'the run id (`git push` and the Slack message name it)')
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON')
    .action(async (runId: string, options: { table?: string; json?: boolean }) => {
      // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
      const { storeFromEnv } = await import('../lib/store-from-env.ts');
      const { store, tableName } = storeFromEnv(options.table);
      // Key parts must not contain '#' (the store refuses them): no run can have such an id.
      const run = runId.includes('#') || runId === '' ? undefined : await store.getRun(runId);
      if (!run) {
        process.stderr.write(`pushgate: no run ${JSON.stringify(runId)} in table ${tableName}\n`);
        process.exitCode = UNKNOWN_RUN_EXIT_CODE;
        return;
      }
      const targets = (await store.listTargets(runId)).map(({ approvalTaskToken: _token, ...target }) => target);
      const report: RunReport = { ...run, trigger: describeTrigger(run), targets };
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (run.status === 'failed') process.exitCode = 1;
    });
}

function describeTrigger(run: RunRecord): string {
  const pull = run.pullRequest === undefined ? 'a pull request' : `pull request #${run.pullRequest}`;
  switch (run.kind) {
    case 'push':
      return `push to ${run.branch} by ${run.actor}`;
    case 'plan':
      return `${pull} into ${run.branch} by ${run.actor} (plan only)`;
    case 'comment':
      return `a /pushgate comment on ${pull} by ${run.actor}`;
    case 'drift':
      return `drift check of ${run.branch}`;
  }
}

function formatReport(report: RunReport): string {
  const lines = [
    `run ${report.runId}`,
    `  repo     ${report.repo}`,
    `  commit   ${report.sha} (${report.branch})${report.commitMessage ? ` ${firstLine(report.commitMessage)}` : ''}`,
    `  trigger  ${report.trigger}`,
    `  status   ${report.status}`,
    ...(report.reason ? [`  reason   ${report.reason}`] : []),
    `  started  ${report.createdAt}${report.finishedAt ? `, finished ${report.finishedAt}` : ''}`,
  ];
  if (report.targets.length === 0) {
    lines.push('  targets  none');
  } else {
    lines.push('  targets');
    const width = Math.max(...report.targets.map((t) => `${t.project}/${t.environment}`.length));
    for (const target of report.targets) {
      const name = `${target.project}/${target.environment}`.padEnd(width);
      const summary = target.summary ? `  ${formatSummary(target.summary)}` : '';
      lines.push(`    ${name}  ${target.status.padEnd(17)}${summary}`.trimEnd());
      if (target.reason) lines.push(`    ${' '.repeat(width)}  ${target.reason}`);
      for (const approval of target.approvals ?? [])
        lines.push(`    ${' '.repeat(width)}  ${describeApproval(approval)}`);
      if (target.status === 'awaiting_approval' && target.approvalRequest) {
        const { approvers, expiresAt } = target.approvalRequest;
        lines.push(
          `    ${' '.repeat(width)}  waiting for ${approvers.join(', ') || 'an approver'} until ${expiresAt}: pushgate approve ${report.runId}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function firstLine(text: string): string {
  return JSON.stringify(text.split('\n')[0]);
}
