import type { ApprovalDecisionResult } from './approval-request.ts';
import { ApproveInvocation } from './approve-invocation.ts';
import { callerIntent } from './caller-intent.ts';
import { decideApproval } from './decide-approval.ts';
import type { DecideApprovalDeps } from './types.ts';
import type { CallerIdentity } from './verify-caller-identity.ts';

export interface ApproveFromCliDeps extends DecideApprovalDeps {
  /** Proves the caller with STS, for the request whose intent (callerIntent) is given. */
  verifyIdentity: (presignedUrl: string, intent: string) => Promise<CallerIdentity>;
}

/**
 * The approve function's step (`pushgate approve|reject`): the caller's ARN is proven with STS
 * (verifyIdentity), then decided as any approval is, via `cli`. Being allowed to invoke the function
 * is not enough: the ARN must be mapped to a GitHub login by the policy's awsPrincipals (then the
 * GitHub rules apply) or named by an approvers entry (see checkApprover).
 */
export async function approveFromCli(event: unknown, deps: ApproveFromCliDeps): Promise<ApprovalDecisionResult> {
  const parsed = ApproveInvocation.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      message: `invalid request at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      targets: [],
    };
  }
  const { identity, ...request } = parsed.data;
  // Proven for this decision only: a proof made for another run, decision or command is refused by STS.
  const caller = await deps.verifyIdentity(identity.presignedUrl, callerIntent('approve', request));
  if ('refused' in caller) return { ok: false, message: caller.refused, targets: [] };
  return decideApproval({ ...request, via: 'cli', actor: { aws: caller.arn } }, deps);
}
