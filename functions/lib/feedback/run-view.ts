import type { SlackRunPhase, SlackRunView, SlackTrigger } from '../notify/slack-blocks.ts';
import type { ReportView } from '../report/report-view.ts';
import type { RunRecord, TargetRecord } from '../store/types.ts';

/**
 * A run as people are told about it, from its records: the run, its targets (with their approvals)
 * and, per target, the plan as the tool printed it when there is one. Both the GitHub reporter and
 * Slack render from this, so they always say the same thing.
 */
export interface RunView {
  run: RunRecord;
  targets: TargetRecord[];
  /** runLink(): the execution's console page on AWS, `pushgate run <id>` locally. */
  link: string;
  /** `<project>/<environment>` → the plan text (already cut to what a comment can hold). */
  planTexts: ReadonlyMap<string, string>;
  /** The Git host's web address for commit links (`https://github.com`); none locally. */
  webUrl?: string;
}

export const planTextKey = (target: Pick<TargetRecord, 'project' | 'environment'>) =>
  `${target.project}/${target.environment}`;

/** What the GitHub reporter renders (statuses, the pull request's comment, a commit comment). */
export function toReportView(view: RunView): ReportView {
  const { run } = view;
  return {
    runId: run.runId,
    repo: run.repo,
    kind: run.kind,
    sha: run.sha,
    branch: run.branch,
    actor: run.actor,
    status: run.status,
    ...(run.reason ? { reason: run.reason } : {}),
    link: view.link,
    ...(run.pullRequest === undefined ? {} : { pullRequest: run.pullRequest }),
    ...(run.driftIssue === true ? { driftIssue: true } : {}),
    targets: view.targets.map((target) => {
      const planText = view.planTexts.get(planTextKey(target));
      return {
        project: target.project,
        environment: target.environment,
        status: target.status,
        ...(target.summary ? { summary: target.summary } : {}),
        ...(target.reason ? { reason: target.reason } : {}),
        ...(planText === undefined ? {} : { planText }),
        ...(target.planSha256 ? { planSha256: target.planSha256 } : {}),
        ...(target.approvals?.length ? { approvals: target.approvals } : {}),
        ...(target.drifted === undefined ? {} : { drifted: target.drifted }),
        ...(target.driftAlert === true ? { driftAlert: true } : {}),
        ...(target.driftSince === undefined ? {} : { driftSince: target.driftSince }),
      };
    }),
  };
}

/** What Slack renders: the same run, in the phase it is in. */
export function toSlackView(view: RunView, phase: SlackRunPhase, now: Date = new Date()): SlackRunView {
  const { run } = view;
  const firstLine = run.commitMessage?.split(/\r?\n/, 1)[0]?.trim();
  const commitUrl = view.webUrl ? `${view.webUrl.replace(/\/+$/, '')}/${run.repo}/commit/${run.sha}` : undefined;
  return {
    runId: run.runId,
    repo: run.repo,
    branch: run.branch,
    actor: run.actor,
    status: run.status,
    phase,
    commit: {
      sha: run.sha,
      author: run.actor,
      ...(firstLine ? { firstLine } : {}),
      ...(commitUrl ? { url: commitUrl } : {}),
    },
    trigger: triggerOf(run, view.webUrl),
    targets: view.targets.map((target) => ({
      project: target.project,
      environment: target.environment,
      status: target.status,
      ...(target.summary ? { summary: target.summary } : {}),
      ...(target.reason ? { reason: target.reason } : {}),
      ...(target.planSha256 ? { planSha256: target.planSha256 } : {}),
      ...(target.approvals?.length ? { approvals: target.approvals } : {}),
      ...(target.drifted === undefined ? {} : { drifted: target.drifted }),
      ...(target.driftAlert === true ? { driftAlert: true } : {}),
      ...(target.driftSince === undefined ? {} : { driftSince: target.driftSince }),
    })),
    startedAt: run.createdAt,
    ...(phase === 'finished' ? { endedAt: run.finishedAt ?? now.toISOString() } : {}),
    ...(run.reason ? { reason: run.reason } : {}),
    runLink: view.link,
  };
}

function triggerOf(run: RunRecord, webUrl: string | undefined): SlackTrigger {
  const url =
    webUrl && run.pullRequest !== undefined
      ? { url: `${webUrl.replace(/\/+$/, '')}/${run.repo}/pull/${run.pullRequest}` }
      : {};
  const number = run.pullRequest === undefined ? {} : { number: run.pullRequest };
  switch (run.kind) {
    case 'push':
      return { kind: 'push' };
    case 'plan':
      return { kind: 'pull_request', ...number, ...url };
    case 'comment':
      return { kind: 'comment', ...number, ...url };
    case 'drift':
      return { kind: 'drift' };
    case 'rollback':
      return { kind: 'rollback', toSha: run.sha };
  }
}
