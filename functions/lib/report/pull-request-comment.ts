import { isUrl } from '../console-url.ts';
import { MAX_COMMENT_CHARS } from '../git/git-host.ts';
import { cutText, stripAnsi } from '../plan/plan-text.ts';
import { isPlanOnly, shortSummary, type ReportApproval, type ReportTarget, type ReportView } from './report-view.ts';

/** The sticky comment of a pull request: pushgate edits the one comment that carries it. */
export const PLAN_COMMENT_MARKER = '<!-- pushgate:plan -->';

/** What a person reads for each target status; an unknown status is shown as it is. */
const STATUS_LABELS: Record<string, string> = {
  queued: '⏳ queued',
  running: '⏳ planning',
  planned: '📋 planned',
  awaiting_approval: '✋ awaiting approval',
  applying: '🚀 applying',
  succeeded: '✅ applied',
  no_changes: '✅ no changes',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  rejected: '🚫 rejected',
  expired: '⌛ approval expired',
  superseded: '↪️ superseded',
  conflict: '⚠️ conflict',
  cancelled: '⏹️ cancelled',
};

const RUN_LABELS: Record<string, string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  superseded: 'superseded',
  skipped: 'skipped',
  no_changes: 'no changes',
  conflict: 'conflict',
};

/** Room kept for the closing lines and the safety margin under GitHub's limit. */
const RESERVE = 512;

export interface RenderOptions {
  /** GitHub's limit, smaller in tests. */
  maxChars?: number;
}

/**
 * The pull request's sticky comment: the marker, a table of project × environment with status and
 * `+add ~change -destroy`, the commit, the approvals, what to do next, then each plan folded in a
 * `<details>` block, as the tool printed it (no terminal escapes). The body stays within GitHub's
 * 65,536 characters: the longest plans are cut first, each cut pointing to the full run; fences are
 * longer than any backtick run in the text, so no plan can close its block.
 */
export function renderPullRequestComment(view: ReportView, options: RenderOptions = {}): string {
  const head = [
    PLAN_COMMENT_MARKER,
    `### pushgate ${isPlanOnly(view) ? 'plan' : 'run'}: ${RUN_LABELS[view.status] ?? md(view.status)}`,
    '',
    ...overview(view),
    '',
    ...targetTable(view.targets),
    ...approvalLines(view.targets),
    ...nextSteps(view),
  ].join('\n');
  return withPlans(head, view, options.maxChars ?? MAX_COMMENT_CHARS);
}

/**
 * A push run's commit comment when a target waits for approval: which plans, and how to approve.
 * `/pushgate approve` only works on a pull request: a push is approved with the Slack button or the CLI.
 */
export function renderApprovalCommitComment(view: ReportView, options: RenderOptions = {}): string {
  const waiting = view.targets.filter((target) => target.status === 'awaiting_approval');
  const head = [
    approvalMarker(view),
    `### pushgate: approval needed to deploy \`${view.sha.slice(0, 7)}\``,
    '',
    ...overview(view),
    '',
    ...targetTable(view.targets),
    '',
    `**Waiting for approval:** ${waiting.map((t) => `${md(t.project)} → ${md(t.environment)}`).join(', ') || '(none)'}`,
    '',
    `To approve, run \`pushgate approve ${view.runId}\` (or press **Approve** in the run's Slack message, where pushgate posts as an app); rejecting works the same way, with \`reject\`.`,
    'If this commit merged a pull request, `/pushgate approve` in that pull request works too.',
  ].join('\n');
  return withPlans(
    head,
    { ...view, targets: waiting.length > 0 ? waiting : view.targets },
    options.maxChars ?? MAX_COMMENT_CHARS,
  );
}

const VIA: Record<ReportApproval['via'], string> = { github: 'a comment', slack: 'Slack', cli: 'the CLI' };

/** The marker of a push run's approval outcome: one per run, so a retried Notify finds it. */
export function approvalOutcomeMarker(view: Pick<ReportView, 'runId'>): string {
  return `<!-- pushgate:approval-outcome:${view.runId} -->`;
}

/** Whether a run asked anyone for an approval: then its end is told where the request was. */
export function askedForApproval(view: Pick<ReportView, 'targets'>): boolean {
  return view.targets.some(
    (target) => (target.approvals?.length ?? 0) > 0 || target.status === 'expired' || target.status === 'rejected',
  );
}

/** A push run's commit comment when it ends after asking for approval: what became of each request. */
export function renderApprovalOutcomeComment(view: ReportView): string {
  const lines = view.targets.filter((target) => (target.approvals?.length ?? 0) > 0 || target.status === 'expired');
  const rows = view.targets.map((target) => {
    const name = `${md(target.project)} → ${md(target.environment)}`;
    const decision = target.approvals?.at(-1);
    if (decision) {
      const reason = decision.reason ? `: ${md(decision.reason)}` : '';
      return `- ${name}: ${decision.decision} by ${md(decision.by)} via ${VIA[decision.via]} at ${md(decision.at)}${reason}`;
    }
    return `- ${name}: ${md(target.status)}${target.reason ? `: ${md(target.reason)}` : ''}`;
  });
  return [
    approvalOutcomeMarker(view),
    `### pushgate: the approval of \`${view.sha.slice(0, 7)}\` is over (${lines.length > 0 ? md(view.status) : 'closed'})`,
    '',
    ...rows,
    '',
    ...overview(view),
  ].join('\n');
}

/**
 * The marker of a push's approval comment: the run and the targets waiting, so that a retried
 * request finds its comment and a target that starts waiting later gets a new one.
 */
export function approvalMarker(view: Pick<ReportView, 'runId' | 'targets'>): string {
  const waiting = view.targets
    .filter((target) => target.status === 'awaiting_approval')
    .map((target) => `${target.project}/${target.environment}`)
    .sort();
  return `<!-- pushgate:approval:${view.runId}:${waiting.join(',').replace(/-->/g, '')} -->`;
}

function overview(view: ReportView): string[] {
  const run = isUrl(view.link) ? `[${md(view.runId)}](${view.link})` : `\`${view.runId}\` (\`${code(view.link)}\`)`;
  return [
    // A pull request's runs are about its head, planned against (or applied to) its base branch.
    `Commit \`${view.sha.slice(0, 7)}\` ${view.pullRequest === undefined ? 'on' : `of #${view.pullRequest} into`} \`${code(view.branch)}\` by ${md(view.actor)} · run ${run}`,
    ...(view.reason ? ['', `> ${md(view.reason)}`] : []),
  ];
}

function targetTable(targets: ReportTarget[]): string[] {
  if (targets.length === 0) return ['No targets.'];
  return [
    '| project | environment | status | changes |',
    '| --- | --- | --- | --- |',
    ...targets.map((t) => {
      const status = STATUS_LABELS[t.status] ?? md(t.status);
      const reason = t.reason ? `: ${md(t.reason)}` : '';
      const changes = t.summary ? (t.summary.hasChanges ? `\`${shortSummary(t.summary)}\`` : 'no changes') : '–';
      return `| ${md(t.project)} | ${md(t.environment)} | ${status}${reason} | ${changes} |`;
    }),
  ];
}

function approvalLines(targets: ReportTarget[]): string[] {
  const lines = targets.flatMap((t) =>
    (t.approvals ?? []).map((a) => {
      const verb = a.decision === 'approved' ? '✅ approved' : '🚫 rejected';
      const reason = a.reason ? `: ${md(a.reason)}` : '';
      return `- ${md(t.project)} → ${md(t.environment)}: ${verb} by ${md(a.by)} via ${a.via} at ${md(a.at)}${reason}`;
    }),
  );
  return lines.length > 0 ? ['', '**Approvals**', ...lines] : [];
}

function nextSteps(view: ReportView): string[] {
  const waiting = view.targets.filter((t) => t.status === 'awaiting_approval');
  if (waiting.length === 0) return [];
  const names = waiting.map((t) => `${md(t.project)} → ${md(t.environment)}`).join(', ');
  return [
    '',
    `**Next:** ${names} ${waiting.length === 1 ? 'waits' : 'wait'} for approval. Someone allowed to approve comments \`/pushgate approve\` (everything waiting) or \`/pushgate approve <project> <environment>\` (one target), or \`/pushgate reject <reason>\`; the Slack button and \`pushgate approve ${view.runId}\` work too.`,
  ];
}

interface PlanSection {
  title: string;
  text: string;
}

/** Appends the plans, cutting the longest first so that the whole stays within `max` characters. */
function withPlans(head: string, view: ReportView, max: number): string {
  const sections: PlanSection[] = view.targets
    .filter((t) => t.planText !== undefined && t.planText.trim() !== '')
    .map((t) => ({
      title: `${t.project} → ${t.environment}${t.summary ? `: ${shortSummary(t.summary)}` : ''}`,
      text: stripAnsi(t.planText!).replace(/\n+$/, ''),
    }));
  const pointer = isUrl(view.link) ? `[the run](${view.link})` : `\`${code(view.link)}\``;
  const cutNote = (omitted: number) =>
    `\n… ${omitted.toLocaleString('en-US')} more characters not shown: the full plan is in ${pointer}`;

  const budget = max - head.length - RESERVE;
  const render = (cap: number) =>
    sections.map((section) => {
      const { text, cut, omittedChars } = cutText(section.text, cap);
      return details(section.title, text, cut ? cutNote(omittedChars) : '');
    });
  // The cap each plan may keep: the largest for which everything fits (longest plans are cut first).
  const fits = (cap: number) => render(cap).reduce((n, block) => n + block.length + 1, 0) <= budget;
  let blocks: string[];
  const longest = sections.reduce((n, s) => Math.max(n, s.text.length), 0);
  if (fits(longest)) blocks = render(longest);
  else {
    let low = 0;
    let high = longest;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (fits(mid)) low = mid;
      else high = mid - 1;
    }
    blocks = render(low);
    // So many targets that even their titles do not fit: leave out the last ones.
    while (blocks.length > 0 && blocks.reduce((n, b) => n + b.length + 1, 0) > budget) {
      blocks.pop();
    }
    if (blocks.length < sections.length)
      blocks.push(`_${sections.length - blocks.length} more plans not shown: see ${pointer}._`);
  }
  const body = blocks.length > 0 ? `${head}\n\n${blocks.join('\n')}` : head;
  return body.length <= max ? body : `${body.slice(0, max - 1)}…`;
}

/** A folded plan; the fence is longer than any run of backticks in the text, so the text cannot end it. */
function details(title: string, text: string, note: string): string {
  const longestRun = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  const language = /^\s*[-+~] /m.test(text) || /^\s*-\/\+ /m.test(text) ? 'diff' : '';
  return [
    `<details><summary>${html(title)}</summary>`,
    '',
    `${fence}${language}`,
    text,
    fence,
    ...(note ? [note] : []),
    '',
    '</details>',
  ].join('\n');
}

/** Text from outside pushgate in Markdown: no table breaks, no HTML, no mentions, on one line. */
function md(text: string): string {
  return (
    text
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
      // An entity (`&#64;org/team`) would become an @ once rendered: no entity survives.
      .replace(/&/g, '&amp;')
      .replace(/@/g, '@\u200b')
  );
}

/** Text inside inline code: a backtick would end it. */
function code(text: string): string {
  return text.replace(/\s+/g, ' ').replaceAll('`', "'");
}

/** Text inside HTML (the summary line). */
function html(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
