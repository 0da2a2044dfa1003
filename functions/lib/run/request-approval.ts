import type { TargetStore } from '../store/types.ts';
import type { RequestApprovalOutput, TargetStep } from '../workflow/contract.ts';

export interface RequestApprovalDeps {
  store: TargetStore;
  now?: () => Date;
}

/**
 * The `WaitForApproval` state's Lambda (RequestApprovalInput): keeps the task token on the target
 * (status `awaiting_approval`, set by Summarize) so that an approval can resume exactly this
 * execution with SendTaskSuccess. The execution waits without running anything until then or until
 * the timeout.
 */
export async function requestApproval(
  input: TargetStep & { taskToken: string },
  deps: RequestApprovalDeps,
): Promise<RequestApprovalOutput> {
  const { run, target, taskToken } = input;
  await deps.store.setTargetStatus(
    run.runId,
    target.project,
    target.environment,
    'awaiting_approval',
    { approvalTaskToken: taskToken },
    deps.now?.(),
  );
  return { waiting: true };
}
