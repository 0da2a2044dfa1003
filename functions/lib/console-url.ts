import { isLocalMode } from './local-mode.ts';

/**
 * Where a person follows one run: what the webhook's answer (and so `git push`) and the Slack message
 * link to. On AWS, the Step Functions console page of its execution (consoleUrl). On the local stack
 * (`PUSHGATE_LOCAL=1`) there is no console (account 000000000000 has no pages), so there it is the
 * command that shows the run on this machine, `pushgate run <runId>`: not a URL, so whoever shows
 * it must not make it a link (isUrl).
 */
export function runLink(run: { executionArn: string; runId: string }, env: NodeJS.ProcessEnv = process.env): string {
  return isLocalMode(env) ? showRunCommand(run.runId) : consoleUrl(run.executionArn);
}

/**
 * The Step Functions console page of an execution; the region is the ARN's fourth field.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-view-execution-details.html
 */
export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] || 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/** The CLI command that prints one run with its targets (cli/commands/run.ts). */
export function showRunCommand(runId: string): string {
  return `pushgate run ${runId}`;
}

/** Whether a run link is a web address (a console page) rather than a command to type. */
export function isUrl(link: string): boolean {
  return /^https?:\/\/\S+$/.test(link);
}
