import * as z from 'zod';
import type { Store } from '../store/types.ts';
import { TargetStepInput } from './step-input.ts';

export const RequestApprovalInput = TargetStepInput.extend({ taskToken: z.string().min(1) });
export type RequestApprovalInput = z.infer<typeof RequestApprovalInput>;

/**
 * The `WaitForApproval` state's Lambda: keeps the task token on the target (status
 * `awaiting_approval`, set by Summarize) so that an approval can resume exactly this execution with
 * SendTaskSuccess. The execution waits without running anything until then or until the timeout.
 */
export async function requestApproval(
  input: RequestApprovalInput,
  deps: { store: Store; now?: () => Date },
): Promise<{ waiting: true }> {
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
