import type { PlanSummary } from '../workflow/contract.ts';

/** One decision on a target's approval. */
export interface ReportApproval {
  decision: 'approved' | 'rejected';
  /** The GitHub login (or Slack / CLI identity) of whoever decided. */
  by: string;
  via: 'github' | 'slack' | 'cli';
  /** ISO 8601. */
  at: string;
  reason?: string;
}

/** One project × environment of a run, as GitHub is told about it. */
export interface ReportTarget {
  project: string;
  environment: string;
  /** A target status (functions/lib/status.ts); statuses the reporter does not know are shown as they are. */
  status: string;
  summary?: PlanSummary;
  reason?: string;
  /** The plan as the tool printed it (readPlanText), when there is one. */
  planText?: string;
  planSha256?: string;
  approvals?: ReportApproval[];
  /** A drift check's target: whether its plan found drift, whether this check first saw it, since when. */
  drifted?: boolean;
  driftAlert?: boolean;
  driftSince?: string;
}

/**
 * What the GitHub reporter renders: a run (RunOutcome-like) with, per target, its plan text and the
 * decisions on its approval. Built by the caller from the run's records; the reporter only reads it.
 */
export interface ReportView {
  runId: string;
  /** `owner/name`. */
  repo: string;
  /** `push`, `plan`, `comment`, `drift`. */
  kind: string;
  sha: string;
  branch: string;
  actor: string;
  /** The run's status (functions/lib/status.ts). */
  status: string;
  reason?: string;
  /** runLink(): the console URL on AWS, the `pushgate run <id>` command locally (not a URL). */
  link: string;
  /** The pull request the run is about (`plan`, `comment` runs). */
  pullRequest?: number;
  /** A drift check whose environment sets `drift: { issue: true }`: new drift opens a GitHub issue. */
  driftIssue?: boolean;
  targets: ReportTarget[];
}

/** `+add ~change -destroy`, the counts people scan for. */
export function shortSummary(summary: PlanSummary): string {
  return `+${summary.add} ~${summary.change} -${summary.destroy}`;
}

/** Whether the run plans only (a pull request's plan, a `/pushgate plan`): `planned` is then its end. */
export function isPlanOnly(view: Pick<ReportView, 'kind'>): boolean {
  return view.kind === 'plan' || view.kind === 'drift';
}
