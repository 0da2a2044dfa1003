import { isUrl, showRunCommand } from '../console-url.ts';
import { formatDriftSummary } from '../drift/drift-summary.ts';
import { formatSummary } from '../plan/format-summary.ts';
import type { ReportTarget, ReportView } from './report-view.ts';

/** The label of every drift issue pushgate opens: how it finds its own open ones. */
export const DRIFT_ISSUE_LABEL = 'pushgate:drift';

/** An issue as pushgate opens it. */
export interface DriftIssue {
  title: string;
  body: string;
  labels: string[];
}

/**
 * The targets of a drift check that newly drifted (`driftAlert`: the one check that first saw it)
 * and still are at its end: a remediation that applied them again (`succeeded`) repaired it.
 */
export function newlyDrifted(view: Pick<ReportView, 'kind' | 'targets'>): ReportTarget[] {
  if (view.kind !== 'drift') return [];
  return view.targets.filter((target) => target.driftAlert === true && target.status !== 'succeeded');
}

/** The drift check's environment (a drift run plans exactly one). */
export function driftEnvironment(view: Pick<ReportView, 'targets'>): string | undefined {
  return view.targets[0]?.environment;
}

/**
 * The marker of the issue one drift check opens: its environment and run. A retried Notify of that
 * check finds it among the open issues and opens none twice; another check's new drift is another issue.
 */
export function driftIssueMarker(environment: string, runId: string): string {
  return `<!-- pushgate:drift-issue env=${safe(environment)} run=${safe(runId)} -->`;
}

/** What an open drift issue is about: its environment and the projects it names; undefined when it is not one. */
export function readDriftIssue(body: string): { environment: string; runId: string; projects: string[] } | undefined {
  const head = /<!-- pushgate:drift-issue env=(\S+) run=(\S+) -->/.exec(body);
  if (!head) return undefined;
  const projects = [...body.matchAll(/<!-- pushgate:drift-target (\S+) -->/g)].map((match) => unsafe(match[1]!));
  return { environment: unsafe(head[1]!), runId: unsafe(head[2]!), projects };
}

/**
 * The issue for a drift check's new drift: `Drift in prod: network (~1 change)`, then per target its
 * plan in short and since when, the check's run, the deployed commit and what to do about it.
 */
export function renderDriftIssue(view: ReportView, targets: ReportTarget[], environment: string): DriftIssue {
  const short = (target: ReportTarget) => (target.summary ? formatDriftSummary(target.summary) : 'changes');
  const title = `Drift in ${environment}: ${targets.map((target) => `${target.project} (${short(target)})`).join(', ')}`;
  const sha7 = view.sha.slice(0, 7);
  const see = isUrl(view.link)
    ? `[the run in the Step Functions console](${view.link}) or \`${showRunCommand(view.runId)}\``
    : `\`${showRunCommand(view.runId)}\``;
  const rows = targets.map((target) => {
    const plan = target.summary ? formatSummary(target.summary) : 'the plan has changes';
    return `| ${md(target.project)} | ${md(short(target))}: ${md(plan)} | ${md(target.driftSince ?? 'this check')} |`;
  });
  const body = [
    driftIssueMarker(environment, view.runId),
    ...targets.map((target) => `<!-- pushgate:drift-target ${safe(target.project)} -->`),
    `### What runs in ${md(environment)} no longer matches what pushgate deployed there`,
    '',
    `A drift check planned \`${sha7}\`, the commit deployed in ${md(environment)}, and the plan is not empty:`,
    'someone or something changed what runs there outside pushgate.',
    '',
    '| Project | Drift | Since |',
    '| --- | --- | --- |',
    ...rows,
    '',
    `- Drift check: run \`${view.runId}\`: ${see} shows the plan.`,
    `- Deployed commit: \`${view.sha}\`.`,
    '',
    '**What to do**',
    '',
    `- Look at the plan (${see}) and check again with \`pushgate drift --repo ${view.repo} --env ${environment}\`.`,
    '- Deploy again over it (a push that changes the project), or undo by hand what was changed.',
    `- Or set \`drift: { remediate: true }\` for ${md(environment)} in the default branch's pushgate.yml: a check then applies the deployed commit again (approvals as configured).`,
    '',
    `pushgate closes this issue when a later check finds no drift in ${targets.map((target) => md(target.project)).join(', ')}.`,
  ].join('\n');
  return { title, body, labels: [DRIFT_ISSUE_LABEL] };
}

/** The comment a clean check leaves on the issue it closes. */
export function renderDriftClosed(view: Pick<ReportView, 'runId' | 'sha' | 'link'>, projects: string[]): string {
  const see = isUrl(view.link) ? `[run \`${view.runId}\`](${view.link})` : `\`${showRunCommand(view.runId)}\``;
  return `A drift check (${see}) found no drift in ${projects.map(md).join(', ')} at \`${view.sha.slice(0, 7)}\`: closing.`;
}

/** Names are `[a-z0-9_-]` in pushgate.yml; anything else is encoded so a marker stays one token. */
function safe(text: string): string {
  return encodeURIComponent(text).replace(/-->/g, '');
}

function unsafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Markdown table-safe text. */
function md(text: string): string {
  return text.replace(/[|\\`*_~<>[\]]/g, (char) => `\\${char}`).replace(/\r?\n/g, ' ');
}
