import type { SetupReport, StepAction } from './run-setup.ts';

const DONE: Record<StepAction, string> = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
  skip: 'skipped',
  manual: 'to do',
};
const WOULD: Record<StepAction, string> = {
  create: 'would create',
  update: 'would update',
  unchanged: 'unchanged',
  skip: 'skipped',
  manual: 'to do',
};

/** What setup did (or, in a dry run, would do), one step a line, then what to do next. No secret values. */
export function formatSetupReport(report: SetupReport): string {
  const words = report.dryRun ? WOULD : DONE;
  const lines = [
    `pushgate setup: stage ${report.stage}, ${report.region}, stack ${report.stackName}${
      report.dryRun ? ' (dry run: nothing was changed)' : ''
    }`,
  ];
  for (const step of report.steps) {
    lines.push(`  ${step.step.padEnd(15)} ${words[step.action].padEnd(13)} ${step.target}`);
    for (const line of step.detail.split('\n')) lines.push(`  ${' '.repeat(15)} ${' '.repeat(13)} ${line}`);
  }
  lines.push('Next:');
  for (const step of report.next) lines.push(`  - ${step}`);
  return `${lines.join('\n')}\n`;
}
