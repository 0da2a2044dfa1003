import type { GitHost, PullRequestAuthors } from '../git/git-host.ts';
import type { PlatformPolicy } from '../policy/platform-policy.ts';
import type { RunMetrics } from '../run/run-metrics.ts';
import type { RunStore, TargetStore } from '../store/types.ts';

/**
 * Resumes a run waiting in WaitForApproval (Step Functions SendTaskSuccess / SendTaskFailure). A
 * token whose wait is over (timed out, execution stopped) answers `expired`, not an error; anything
 * else (Step Functions unreachable) throws. runtime/clients/sfn-task-resumer.ts is the real one.
 */
export interface TaskResumer {
  succeed(taskToken: string, output: unknown): Promise<TaskResumeResult>;
  fail(taskToken: string, error: string, cause: string): Promise<TaskResumeResult>;
}
export type TaskResumeResult = { resumed: true } | { resumed: false; expired: true };

/**
 * GitHub team membership, for `@org/team` approvers (GitHubHost.isTeamMember). Declared here, by
 * shape: a host without it makes team entries match nobody.
 */
export interface TeamMembership {
  isTeamMember(org: string, teamSlug: string, login: string): Promise<boolean>;
}

/**
 * The Git host as approvals use it: pull request heads and branch heads (superseded runs), teams,
 * and who opened the pull requests behind a commit (they may not approve their own change).
 */
export type ApprovalGitHost = Pick<GitHost, 'getPullRequest' | 'resolveRef'> &
  PullRequestAuthors &
  Partial<TeamMembership>;

export interface DecideApprovalDeps {
  store: Pick<RunStore, 'getRun' | 'findRunsBySha'> &
    Pick<TargetStore, 'listTargets' | 'takeApprovalToken' | 'restoreApprovalToken'>;
  gitHost: ApprovalGitHost;
  tasks: TaskResumer;
  /** The platform policy: only its slackUsers (a Slack decision) and awsPrincipals (a CLI decision) are read. */
  policy: () => Promise<Pick<PlatformPolicy, 'slackUsers' | 'awsPrincipals'>>;
  /** ApprovalWaitSeconds, once per decision that resumed a run. */
  metrics?: Pick<RunMetrics, 'approvalDecided'>;
  now?: () => Date;
}
