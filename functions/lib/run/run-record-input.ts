import type { RunStore } from '../store/types.ts';
import type { RunRequest } from '../workflow/contract.ts';

/** What `createRun` records of a run request: the webhook intake and Validate create runs alike. */
export function runRecordInput(
  run: RunRequest,
  fields: { executionArn?: string } = {},
): Parameters<RunStore['createRun']>[0] {
  return {
    runId: run.runId,
    repo: run.repo,
    kind: run.kind,
    ref: run.ref,
    branch: run.branch,
    sha: run.sha,
    actor: run.actor,
    deliveryId: run.deliveryId,
    status: 'queued',
    ...(fields.executionArn === undefined ? {} : { executionArn: fields.executionArn }),
    ...(run.pullRequest ? { pullRequest: run.pullRequest.number } : {}),
    ...(run.commitMessage === undefined ? {} : { commitMessage: run.commitMessage }),
  };
}
