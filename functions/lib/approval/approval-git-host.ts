import type { GitHost, IssueCommentReader } from '../git/git-host.ts';
import type { PullRequestComments } from '../commands/run-command.ts';
import { PushgateError } from '../errors.ts';
import type { TeamMembership } from './types.ts';

export class ApprovalConfigError extends PushgateError {}

/**
 * The Git host with what approvals and commands use beyond GitHost: team membership (optional: team
 * approvers then match nobody) and pull request comments, written and read (required by the commands
 * function).
 */
export function approvalGitHost<T extends GitHost>(
  host: T,
  options: { comments: true },
): T & Partial<TeamMembership> & PullRequestComments & IssueCommentReader;
export function approvalGitHost<T extends GitHost>(
  host: T,
  options?: { comments?: false },
): T & Partial<TeamMembership>;
export function approvalGitHost<T extends GitHost>(
  host: T,
  options: { comments?: boolean } = {},
): T & Partial<TeamMembership> {
  const extended = host as T & Partial<TeamMembership> & Partial<PullRequestComments> & Partial<IssueCommentReader>;
  if (options.comments && typeof extended.createComment !== 'function') {
    throw new ApprovalConfigError('the Git host cannot comment on pull requests (createComment is missing)');
  }
  if (options.comments && typeof extended.getIssueComment !== 'function') {
    throw new ApprovalConfigError('the Git host cannot read comments (getIssueComment is missing)');
  }
  return extended;
}
