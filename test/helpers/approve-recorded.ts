import type { TargetRecord } from '../../functions/lib/store/types.ts';
import type { Harness } from './stack-harness.ts';

/**
 * What the approval function does (functions/lib/approval): record the decision while the target
 * still waits with its plan, take the task token, resume the execution. A raw SendTaskSuccess
 * without it applies nothing (PrepareApply requires the recorded approval).
 */
export async function approveRecorded(h: Harness, target: TargetRecord, by = 'octocat'): Promise<void> {
  const taken = await h.store.takeApprovalToken(
    target.runId,
    target.project,
    target.environment,
    { decision: 'approved', by, via: 'cli', at: new Date().toISOString() },
    { planSha256: target.planSha256! },
  );
  if (!taken.taken) throw new Error(taken.reason);
  h.stack.stepfunctions.sendTaskSuccess({ taskToken: taken.taskToken, output: JSON.stringify({ approvedBy: by }) });
}
