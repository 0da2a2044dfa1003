import type { ApprovalRequestRecord } from '../store/types.ts';
import { sameAwsPrincipal } from './aws-principal.ts';
import type { TeamMembership } from './types.ts';

/**
 * Who is deciding: a GitHub login (a comment, or a Slack user mapped to one), or an AWS ARN (the
 * CLI), with the login the policy's awsPrincipals maps it to, if any.
 */
export type Approver = { kind: 'github'; login: string } | { kind: 'aws'; arn: string; login?: string };

export interface ApproverCheck {
  decision: 'approve' | 'reject';
  approver: Approver;
  request: ApprovalRequestRecord;
  /** The run's actor: the pusher, or whoever commented `/pushgate apply`. */
  runActor: string;
  /**
   * Who opened the pull request(s) behind the run's commit: they wrote the change, whoever pushed or
   * merged it. Asked only when it matters (an approver approving); may throw when GitHub cannot say.
   */
  authors: () => Promise<string[]>;
  environment: string;
  teams: Partial<TeamMembership>;
}

const TEAM = /^@([A-Za-z0-9][A-Za-z0-9-]*)\/([A-Za-z0-9][A-Za-z0-9_.-]*)$/;

function isArn(entry: string): boolean {
  return entry.startsWith('arn:');
}

/**
 * Whether this approver may take this decision; undefined when they may, else why not, in words
 * for the approver.
 * - A GitHub login must be in the approvers directly (case-insensitive) or through a team entry
 *   `@org/team` (GitHub's teams API). The run's actor, and whoever opened the pull request(s) behind
 *   its commit (for a merge, its author, not who merged it), may not approve their own change unless
 *   the request allows self-approval; when GitHub cannot say who opened them, approving is refused.
 *   Rejecting is open to the same people as approving, and to the actor, who may always withdraw
 *   their own change.
 * - The CLI's caller is an AWS identity (proven with STS). Mapped to a login by the policy's
 *   awsPrincipals, it is that login and the rules above apply (an approvers entry naming its ARN
 *   also makes it an approver, but self-approval is still checked for the login). Not mapped, it
 *   may decide only when an approvers entry `arn:…` names it (normalised: a role's assumed-role
 *   sessions are the role, whatever their session name); nobody is then known to be the run's actor,
 *   so self-approval cannot be checked. Anything else is refused: IAM deciding who may invoke the
 *   approve function is not enough.
 */
export async function checkApprover(check: ApproverCheck): Promise<string | undefined> {
  const { approver, request, environment } = check;
  const listed = request.approvers.length === 0 ? '(nobody)' : request.approvers.join(', ');
  let arnListed = false;
  if (approver.kind === 'aws') {
    arnListed = request.approvers.some((entry) => isArn(entry) && sameAwsPrincipal(entry, approver.arn));
    if (approver.login === undefined) {
      if (arnListed) return undefined;
      return `${approver.arn} is not mapped to a GitHub login (policy awsPrincipals) and is not an approver of ${environment}: approvers are ${listed}`;
    }
  }
  const login = approver.login!;
  const isActor = login.toLowerCase() === check.runActor.toLowerCase();
  if (check.decision === 'reject' && isActor) return undefined;
  if (!arnListed && !(await isApprover(login, request.approvers, check.teams))) {
    return `${login} is not an approver of ${environment}: approvers are ${listed}`;
  }
  if (check.decision !== 'approve' || request.allowSelfApproval) return undefined;
  if (isActor) return `${login} pushed this change and cannot approve it (approval.allowSelfApproval is off)`;
  let authors: string[];
  try {
    authors = await check.authors();
  } catch {
    // Fail closed: not knowing who wrote the change is no reason to let anyone approve it.
    return 'could not check who wrote this change: try again';
  }
  if (authors.some((author) => author.toLowerCase() === login.toLowerCase())) {
    return `${login} opened the pull request of this change and cannot approve it (approval.allowSelfApproval is off)`;
  }
  return undefined;
}

async function isApprover(login: string, approvers: string[], teams: Partial<TeamMembership>): Promise<boolean> {
  const wanted = login.toLowerCase();
  if (approvers.some((entry) => !isArn(entry) && !entry.startsWith('@') && entry.toLowerCase() === wanted)) {
    return true;
  }
  for (const entry of approvers) {
    const team = TEAM.exec(entry);
    if (!team || teams.isTeamMember === undefined) continue;
    if (await teams.isTeamMember(team[1]!, team[2]!, login)) return true;
  }
  return false;
}
