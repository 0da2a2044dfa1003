import type { TargetStore } from '../store/types.ts';
import type { RequestApprovalInput, RequestApprovalOutput } from '../workflow/contract.ts';

/** Tells people that a target waits for them (pull request, commit, Slack); never throws. */
export interface ApprovalAnnouncer {
  approvalRequested(input: RequestApprovalInput): Promise<void>;
}

export interface RequestApprovalDeps {
  store: TargetStore;
  announcer?: ApprovalAnnouncer;
  now?: () => Date;
}

/**
 * The `WaitForApproval` state's Lambda (RequestApprovalInput): keeps the task token on the target
 * (status `awaiting_approval`) with what the wait asks for (who may approve, whether the pusher may,
 * until when), so that the approval function (functions/lib/approval) can check an approval and
 * resume exactly this execution with SendTaskSuccess. Then it tells people at once where to approve.
 * The execution waits without running anything until then or until the timeout.
 */
export async function requestApproval(
  input: RequestApprovalInput,
  deps: RequestApprovalDeps,
): Promise<RequestApprovalOutput> {
  const { run, target, taskToken } = input;
  const now = deps.now?.() ?? new Date();
  await deps.store.setTargetStatus(
    run.runId,
    target.project,
    target.environment,
    'awaiting_approval',
    {
      approvalTaskToken: taskToken,
      approvalRequest: {
        approvers: target.approval.approvers,
        allowSelfApproval: target.approval.allowSelfApproval,
        requestedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + target.approval.timeoutSeconds * 1000).toISOString(),
      },
    },
    now,
  );
  await deps.announcer?.approvalRequested(input);
  return { waiting: true };
}
