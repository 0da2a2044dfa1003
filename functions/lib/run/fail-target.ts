import { isFinal, type Status } from '../status.ts';
import type { Store } from '../store/types.ts';
import { WorkflowErrors } from '../workflow-types.ts';
import { describeError } from './describe-error.ts';
import type { TargetStepInput } from './step-input.ts';

/** Which status a caught error leaves the target in. Everything not named here is a failure. */
const STATUS_BY_ERROR: Record<string, Status> = {
  [WorkflowErrors.Superseded]: 'superseded',
  [WorkflowErrors.DependencyFailed]: 'skipped',
};

/**
 * The `TargetFailed` state, reached by every per-target Catch: records why, releases the lock (only
 * ours) and leaves the queue, then ends the Map iteration normally so the run's other targets go on.
 */
export async function failTarget(
  input: TargetStepInput,
  deps: { store: Store; now?: () => Date },
): Promise<{ status: Status; reason: string }> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const { run, target } = input;
  const error = input.error ?? { Error: 'Unknown', Cause: 'the state machine sent no error' };
  const status = STATUS_BY_ERROR[error.Error] ?? 'failed';
  const reason = describeError(error);
  const key = { repo: run.repo, project: target.project, environment: target.environment };
  // Release first: a record that cannot be written must not keep the lock held.
  await store.releaseLock(key, run.runId);
  await store.leaveQueue(key, run.runId);
  const current = await store.getTarget(run.runId, target.project, target.environment);
  if (current && !isFinal(current.status)) {
    await store.setTargetStatus(run.runId, target.project, target.environment, status, { reason }, now);
  }
  return { status, reason };
}
