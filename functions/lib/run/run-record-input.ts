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
    // A drift run's scope: Validate plans only what the drift function recorded.
    ...(run.drift === undefined
      ? {}
      : { drift: { environment: run.drift.environment, projects: [...run.drift.projects] } }),
  };
}
