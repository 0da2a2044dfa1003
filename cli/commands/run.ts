import { Command } from 'commander';
import { describeApproval } from './status.ts';
import { formatSummary } from '../../functions/lib/plan/format-summary.ts';
import type { RunRecord, TargetRecord } from '../../functions/lib/store/types.ts';
import { CliUsageError } from '../lib/cli-usage-error.ts';
import type { ExecutionOutcome, TimelineEntry } from '../lib/execution-timeline.ts';
import { EXIT_FAILED } from '../lib/exit-codes.ts';
import { formatDuration } from '../lib/format-duration.ts';
import type { RunLinks, TargetLinks } from '../lib/run-links.ts';

/** What `pushgate run --json` prints: the run record, how it was triggered, its targets, timeline and links. */
export interface RunReport extends RunRecord {
  trigger: string;
  /** Without `approvalTaskToken`: whoever holds it can approve the run, and a report is for reading. */
  targets: (Omit<TargetRecord, 'approvalTaskToken'> & { links: TargetLinks })[];
  /**
   * The execution's states as the Step Functions console shows them, oldest first; null when there is
   * no execution (yet) or Step Functions no longer has it (`timelineUnavailable` says why).
   */
  timeline: { execution: ExecutionOutcome; states: TimelineEntry[] } | null;
  timelineUnavailable?: string;
  links: RunLinks;
}

/**
 * `pushgate run <runId>`: one run as it is recorded, with its targets, their plans and why they ended
 * as they did. It is what the local stack links to instead of a Step Functions console page (there is
 * none for account 000000000000); it reads the table as `pushgate status` does, so it works on AWS too.
 * Exits 2 for an unknown run id (with the usage line) and 1 when the run failed, so scripts can wait on it.
 */
export function runCommand(): Command {
  return new Command('run')
    .description(
      'one run: repository, commit, trigger, status and reason, each target with its plan and approvals, the state-by-state timeline of its execution, and links',
    )
    .argument('<runId>', 'the run id (`git push` and the Slack message name it)')
    .option('--table <name>', 'the pushgate table (default: $PUSHGATE_TABLE)')
    .option('--json', 'print JSON')
    .action(async (runId: string, options: { table?: string; json?: boolean }) => {
      // Loaded here: the AWS SDK is most of the CLI's start time, and `--help` should not pay for it.
      const [{ storeFromEnv }, { readRunHistories, ExecutionHistoryUnavailableError }, timeline, links] =
        await Promise.all([
          import('../lib/store-from-env.ts'),
          import('../lib/read-execution-history.ts'),
          import('../lib/execution-timeline.ts'),
          import('../lib/run-links.ts'),
        ]);
      const { store, tableName } = storeFromEnv(options.table);
      // Key parts must not contain '#' (the store refuses them): no run can have such an id.
      const run = runId.includes('#') || runId === '' ? undefined : await store.getRun(runId);
      if (!run) throw new CliUsageError(`no run ${JSON.stringify(runId)} in table ${tableName}`);
      const targets = (await store.listTargets(runId)).map(({ approvalTaskToken: _token, ...target }) => ({
        ...target,
        links: links.targetLinks(run, target),
      }));
      let executionTimeline: RunReport['timeline'] = null;
      let timelineUnavailable: string | undefined;
      if (run.executionArn === undefined) {
        timelineUnavailable = 'the run has no execution';
      } else {
        try {
          const { events, children } = await readRunHistories(run.executionArn);
          executionTimeline = timeline.runTimeline(events, children);
        } catch (error) {
          if (!(error instanceof ExecutionHistoryUnavailableError)) throw error;
          timelineUnavailable = error.message;
        }
      }
      const report: RunReport = {
        ...run,
        trigger: describeTrigger(run),
        targets,
        timeline: executionTimeline,
        ...(timelineUnavailable === undefined ? {} : { timelineUnavailable }),
        links: links.runLinks(run),
      };
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (run.status === 'failed') process.exitCode = EXIT_FAILED;
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
    case 'rollback':
      return `rollback to ${run.sha.slice(0, 7)} by ${run.actor} (pushgate rollback)`;
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
  lines.push(...formatTimeline(report));
  lines.push('  links');
  if (report.links.console) lines.push(`    console  ${report.links.console}`);
  lines.push(`    logs     ${report.links.logs}`);
  for (const target of report.targets) {
    const name = `${target.project}/${target.environment}`;
    if (target.links.planBuild) lines.push(`    plan     ${name}  ${target.links.planBuild}`);
    if (target.links.applyBuild) lines.push(`    apply    ${name}  ${target.links.applyBuild}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The states of the execution, one a line: start time, state, target, duration, outcome, retries, failure. */
function formatTimeline(report: RunReport): string[] {
  if (!report.timeline) return [`  timeline unavailable: ${report.timelineUnavailable ?? 'no execution'}`];
  const { execution, states } = report.timeline;
  const took = execution.durationMs === undefined ? '' : ` in ${formatDuration(execution.durationMs)}`;
  const lines = [`  timeline (execution ${execution.status.replace('_', ' ')}${took})`];
  const nameWidth = Math.max(0, ...states.map((s) => s.name.length));
  const targetWidth = Math.max(0, ...states.map((s) => s.target?.length ?? 0));
  for (const state of states) {
    const time = state.enteredAt.slice(11, 23);
    const duration = state.durationMs === undefined ? '' : formatDuration(state.durationMs);
    const retries = state.retries > 0 ? `  ${state.retries} ${state.retries === 1 ? 'retry' : 'retries'}` : '';
    lines.push(
      `    ${time}  ${state.name.padEnd(nameWidth)}  ${(state.target ?? '').padEnd(targetWidth)}  ${duration.padStart(10)}  ${state.status}${retries}`.trimEnd(),
    );
    if (state.error !== undefined && state.status !== 'succeeded') {
      lines.push(`    ${' '.repeat(12)}  ${state.error}: ${firstLineOf(state.cause ?? '')}`.trimEnd());
    }
  }
  if (execution.error !== undefined) {
    lines.push(
      `    execution ${execution.status.replace('_', ' ')}: ${execution.error}: ${firstLineOf(execution.cause ?? '')}`.trimEnd(),
    );
  }
  return lines;
}

/** The first line of a cause (a JSON cause is shown as it is, cut at 200 characters). */
function firstLineOf(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function firstLine(text: string): string {
  return JSON.stringify(text.split('\n')[0]);
}
