/** The run id of an execution, when it is known at once (the local stack keeps its executions in memory). */
export type RunIdOfExecution = (executionArn: string) => string | undefined;

let localRunIdOf: RunIdOfExecution | undefined;

/**
 * Where a person follows one run: what the webhook's answer (and so `git push`) and the Slack message
 * link to. On AWS, the Step Functions console page of its execution; the region is the ARN's fourth
 * field. On the local stack there is no console (account 000000000000 has no pages), so there it is
 * the command that shows the run on this machine, `pushgate run <runId>`: the stack, which runs the
 * handlers in its own process, turns that on with showRunsWithCommand.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-view-execution-details.html
 */
export function consoleUrl(executionArn: string): string {
  const runId = localRunIdOf?.(executionArn);
  if (runId !== undefined) return showRunCommand(runId);
  const region = executionArn.split(':')[3] || 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/** The CLI command that prints one run with its targets (cli/commands/run.ts). */
export function showRunCommand(runId: string): string {
  return `pushgate run ${runId}`;
}

/**
 * For the local stack only: from now on consoleUrl names `pushgate run <runId>` for the executions
 * `runIdOf` knows (and the console page for any other). The handlers cannot tell the run from the
 * execution ARN alone, and the local Step Functions can, synchronously. Returns the undo, for when
 * the stack stops.
 */
export function showRunsWithCommand(runIdOf: RunIdOfExecution): () => void {
  localRunIdOf = runIdOf;
  return () => {
    if (localRunIdOf === runIdOf) localRunIdOf = undefined;
  };
}
