import type { CommitComments, CommitStatuses, GitHost, PullRequestComments, RepoIssues } from '../git/git-host.ts';
import { statusesFor } from './commit-statuses.ts';
import {
  DRIFT_ISSUE_LABEL,
  driftEnvironment,
  driftIssueMarker,
  newlyDrifted,
  readDriftIssue,
  renderDriftClosed,
  renderDriftIssue,
} from './drift-issue.ts';
import {
  approvalMarker,
  approvalOutcomeMarker,
  askedForApproval,
  renderApprovalOutcomeComment,
  PLAN_COMMENT_MARKER,
  renderApprovalCommitComment,
  renderPullRequestComment,
} from './pull-request-comment.ts';
import type { ReportView } from './report-view.ts';

/** What one GitHub write did: the caller records these on the run. */
export interface ReportStep {
  step: 'status' | 'comment' | 'commitComment' | 'issue';
  /** The status context, `#<pull request>`, the commit, or the drift's environment. */
  target: string;
  ok: boolean;
  /** Not attempted, and why (a newer commit on the pull request). */
  skipped?: string;
  /** What failed; never a token. */
  error?: string;
  /** The comment written: its id, and whether it was new. */
  commentId?: number;
  created?: boolean;
  /** The drift issue opened (`created`) or found open already, or closed (`closed`). */
  issueNumber?: number;
  closed?: boolean;
}

export interface GitHubReporterDeps {
  statuses: CommitStatuses;
  comments: PullRequestComments;
  commitComments: CommitComments;
  /** GitHost.getPullRequest: without it, the pull request's head is not checked before its comment is written. */
  getPullRequest?: GitHost['getPullRequest'];
  /** Issues: without it, a drift check whose environment sets `drift: { issue: true }` opens none. */
  issues?: RepoIssues;
}

export interface GitHubReporter {
  /** The run started: pending statuses; a pull request's comment says it is planning. */
  runStarted(view: ReportView): Promise<ReportStep[]>;
  /** A target waits: pending statuses that say how to approve; the pull request comment, or for a push a commit comment. */
  approvalRequested(view: ReportView): Promise<ReportStep[]>;
  /** The run ended: final statuses and the pull request comment. */
  runFinished(view: ReportView): Promise<ReportStep[]>;
}

/**
 * Tells GitHub about a run: commit statuses on the run's commit (one per environment) and, for a run
 * about a pull request, one sticky comment edited in place. A drift check sets no status and writes
 * no pull request comment (it reviews no change); a remediation that waits for an approval asks on
 * the deployed commit, as a push does; with `drift: { issue: true }` new drift opens one issue and a
 * clean check closes it. Never throws: a GitHub failure never
 * fails a run, it is a step result with `ok: false`.
 */
export function createGitHubReporter(deps: GitHubReporterDeps): GitHubReporter {
  async function statuses(view: ReportView): Promise<ReportStep[]> {
    // A drift check is not about a change under review: the deployed commit's statuses are its
    // deploy's, and a check must not overwrite them (nor flip a commit red for a drift).
    if (view.kind === 'drift') return [];
    const results: ReportStep[] = [];
    for (const status of statusesFor(view)) {
      results.push(
        await attempt('status', status.context, async () => {
          await deps.statuses.setCommitStatus(view.repo, view.sha, status);
          return {};
        }),
      );
    }
    return results;
  }

  /**
   * A drift check of an environment with `drift: { issue: true }`: new drift opens one issue (a
   * retried report finds it open, by its marker, and opens none); a check that finds every project
   * of an open drift issue clean closes it with a comment. Other checks do nothing.
   */
  async function driftIssue(view: ReportView): Promise<ReportStep[]> {
    const environment = driftEnvironment(view);
    if (view.kind !== 'drift' || view.driftIssue !== true || !deps.issues || environment === undefined) return [];
    const issues = deps.issues;
    const drifted = newlyDrifted(view);
    const clean = new Set(view.targets.filter((target) => target.drifted === false).map((target) => target.project));
    if (drifted.length === 0 && clean.size === 0) return [];
    let open;
    try {
      open = await issues.listOpenIssues(view.repo, DRIFT_ISSUE_LABEL);
    } catch (error) {
      return [{ step: 'issue', target: environment, ok: false, error: messageOf(error) }];
    }
    const steps: ReportStep[] = [];
    if (drifted.length > 0) {
      steps.push(
        await attempt('issue', environment, async () => {
          const marker = driftIssueMarker(environment, view.runId);
          const existing = open.find((issue) => issue.body.includes(marker));
          if (existing) return { issueNumber: existing.number, created: false };
          const { number } = await issues.createIssue(view.repo, renderDriftIssue(view, drifted, environment));
          return { issueNumber: number, created: true };
        }),
      );
    }
    for (const issue of open) {
      const about = readDriftIssue(issue.body);
      if (about === undefined || about.environment !== environment || about.runId === view.runId) continue;
      if (about.projects.length === 0 || !about.projects.every((project) => clean.has(project))) continue;
      steps.push(
        await attempt('issue', environment, async () => {
          await issues.closeIssue(view.repo, issue.number, renderDriftClosed(view, about.projects));
          return { issueNumber: issue.number, closed: true };
        }),
      );
    }
    return steps;
  }

  async function pullRequestComment(view: ReportView): Promise<ReportStep[]> {
    const number = view.pullRequest;
    if (number === undefined || view.kind === 'drift') return [];
    const target = `#${number}`;
    // A slow older run must not overwrite what a newer commit's run wrote: only the head's run writes.
    if (deps.getPullRequest) {
      try {
        const pull = await deps.getPullRequest(view.repo, number);
        if (!pull) return [{ step: 'comment', target, ok: true, skipped: 'the pull request does not exist' }];
        if (pull.headSha !== view.sha)
          return [
            {
              step: 'comment',
              target,
              ok: true,
              skipped: `${view.sha.slice(0, 7)} is no longer the head of ${target} (${pull.headSha.slice(0, 7)} is)`,
            },
          ];
      } catch (error) {
        return [{ step: 'comment', target, ok: false, error: messageOf(error) }];
      }
    }
    return [
      await attempt('comment', target, async () => {
        const { id, created } = await deps.comments.upsertComment(
          view.repo,
          number,
          PLAN_COMMENT_MARKER,
          renderPullRequestComment(view),
        );
        return { commentId: id, created };
      }),
    ];
  }

  return {
    async runStarted(view) {
      return [...(await statuses(view)), ...(await pullRequestComment(view))];
    },
    async approvalRequested(view) {
      const steps = await statuses(view);
      if (view.pullRequest !== undefined) return [...steps, ...(await pullRequestComment(view))];
      steps.push(
        await attempt('commitComment', view.sha.slice(0, 7), async () => {
          // A retried request (or one per waiting target with the same targets) writes one comment.
          const marker = approvalMarker(view);
          const existing = await deps.commitComments.findCommitComment?.(view.repo, view.sha, marker);
          if (existing !== undefined) return { commentId: existing, created: false };
          const { id } = await deps.commitComments.createCommitComment(
            view.repo,
            view.sha,
            renderApprovalCommitComment(view),
          );
          return { commentId: id, created: true };
        }),
      );
      return steps;
    },
    async runFinished(view) {
      const steps = [...(await statuses(view)), ...(await pullRequestComment(view))];
      // A push asked on its commit: the answer (approved, rejected, expired) goes there too.
      if (view.pullRequest === undefined && askedForApproval(view)) {
        steps.push(
          await attempt('commitComment', view.sha.slice(0, 7), async () => {
            const marker = approvalOutcomeMarker(view);
            const existing = await deps.commitComments.findCommitComment?.(view.repo, view.sha, marker);
            if (existing !== undefined) return { commentId: existing, created: false };
            const { id } = await deps.commitComments.createCommitComment(
              view.repo,
              view.sha,
              renderApprovalOutcomeComment(view),
            );
            return { commentId: id, created: true };
          }),
        );
      }
      steps.push(...(await driftIssue(view)));
      return steps;
    },
  };
}

async function attempt(
  step: ReportStep['step'],
  target: string,
  write: () => Promise<Partial<ReportStep>>,
): Promise<ReportStep> {
  try {
    return { step, target, ok: true, ...(await write()) };
  } catch (error) {
    return { step, target, ok: false, error: messageOf(error) };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
