import { z } from 'zod';
import { isUrl } from '../console-url.ts';
import { formatSummary } from '../plan/format-summary.ts';
import type { Status } from '../status.ts';
import type { PlanSummary } from '../workflow/contract.ts';
import { slackCode, slackEscape, slackLink } from './slack-text.ts';

/**
 * Slack's Block Kit limits that pushgate's messages can reach. A message past one of them is refused
 * whole (`invalid_blocks`), so the builders below cut instead, with a line that says what was left out.
 * https://docs.slack.dev/reference/block-kit/blocks (50 blocks per message),
 * https://docs.slack.dev/reference/block-kit/blocks/section-block (text 3,000; 10 fields of 2,000),
 * https://docs.slack.dev/reference/block-kit/blocks/header-block (150),
 * https://docs.slack.dev/reference/block-kit/block-elements/button-element (text 75, value 2,000,
 * action_id 255), https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object,
 * https://docs.slack.dev/reference/methods/chat.postMessage (text truncated past 40,000).
 */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

/** The `action_id`s of the approval buttons; pushgate's `/slack/actions` endpoint dispatches on them. */
export const APPROVE_ACTION_ID = 'pushgate_approve';
export const REJECT_ACTION_ID = 'pushgate_reject';

// --- The view model -----------------------------------------------------------------------------

export type SlackRunPhase = 'started' | 'awaiting_approval' | 'finished';

/** What started the run. */
export type SlackTrigger =
  | { kind: 'push' }
  | { kind: 'pull_request'; number?: number; url?: string }
  | { kind: 'comment'; number?: number; url?: string; command?: string }
  | { kind: 'rollback'; toSha?: string }
  | { kind: 'drift' };

export interface SlackApproval {
  decision: 'approved' | 'rejected';
  /** A login or Slack user name: text from outside, escaped like the rest. */
  by: string;
  via: 'github' | 'slack' | 'cli';
  /** ISO 8601. */
  at: string;
  reason?: string;
}

export interface SlackTargetView {
  project: string;
  environment: string;
  status: Status;
  summary?: PlanSummary;
  reason?: string;
  /** The reviewed plan's sha256: what an approval button approves. Without it no button is offered. */
  planSha256?: string;
  approvals?: SlackApproval[];
  /** A drift check's target: whether the plan found drift, whether it is new (this check alerts), since when. */
  drifted?: boolean;
  driftAlert?: boolean;
  driftSince?: string;
}

export interface SlackRunView {
  runId: string;
  repo: string;
  branch: string;
  actor: string;
  status: Status;
  phase: SlackRunPhase;
  commit: { sha: string; url?: string; author?: string; firstLine?: string };
  trigger: SlackTrigger;
  targets: SlackTargetView[];
  /** ISO 8601; with `endedAt`, the duration shown. */
  startedAt?: string;
  endedAt?: string;
  /** Why the run failed or was skipped. */
  reason?: string;
  /** runLink(): the execution's console page on AWS, `pushgate run <runId>` locally (shown as code, never a link). */
  runLink?: string;
}

// --- Block Kit, as much of it as pushgate sends ------------------------------------------------------

export interface SlackTextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
export interface SlackButton {
  type: 'button';
  text: SlackTextObject;
  action_id: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: {
    title: SlackTextObject;
    text: SlackTextObject;
    confirm: SlackTextObject;
    deny: SlackTextObject;
    style?: 'primary' | 'danger';
  };
}
export type SlackBlock =
  | { type: 'header'; block_id?: string; text: SlackTextObject }
  | { type: 'section'; block_id?: string; text?: SlackTextObject; fields?: SlackTextObject[]; accessory?: SlackButton }
  | { type: 'context'; block_id?: string; elements: SlackTextObject[] }
  | { type: 'actions'; block_id?: string; elements: SlackButton[] }
  | { type: 'divider'; block_id?: string };

/** A message as chat.postMessage, chat.update and an incoming webhook take it. `text` is the escaped fallback. */
export interface SlackMessagePayload {
  text: string;
  blocks: SlackBlock[];
}

/** What an approval button carries (`value`, JSON): enough for `/slack/actions` to find the waiting target. */
export const ApprovalButtonValue = z.object({
  runId: z.string().min(1),
  project: z.string().min(1),
  environment: z.string().min(1),
  planSha256: z.string().min(1),
});
export type ApprovalButtonValue = z.infer<typeof ApprovalButtonValue>;

export function approvalButtonValue(value: ApprovalButtonValue): string {
  return JSON.stringify({
    runId: value.runId,
    project: value.project,
    environment: value.environment,
    planSha256: value.planSha256,
  });
}

/** The button's `value` back, or undefined when it is not one pushgate wrote. */
export function parseApprovalButtonValue(value: string): ApprovalButtonValue | undefined {
  try {
    const parsed = ApprovalButtonValue.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

// --- Words ----------------------------------------------------------------------------------------

const TRIGGER_KIND_WORDS: Record<SlackTrigger['kind'], string> = {
  push: 'deploy',
  pull_request: 'plan',
  comment: 'pull request command',
  rollback: 'rollback',
  drift: 'drift check',
};

const VIA_WORDS: Record<SlackApproval['via'], string> = { github: 'GitHub', slack: 'Slack', cli: 'the CLI' };

function words(status: string): string {
  return status.replaceAll('_', ' ');
}

/** The run's state as one phrase: while it runs, its phase; once finished, its status. */
function phaseWords(view: SlackRunView): string {
  if (view.phase === 'started') return 'started';
  // A drift check that found drift "succeeded" as a run, but what people need to read is the drift.
  if (view.phase === 'finished' && view.trigger.kind === 'drift' && view.status === 'succeeded') {
    const drifted = driftedTargets(view);
    if (drifted.length > 0)
      return drifted.every((target) => target.status === 'succeeded') ? 'repaired drift' : 'found drift';
  }
  if (view.phase === 'awaiting_approval') return 'awaiting approval';
  return words(view.status);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `1m 05s`-like, from whole seconds; undefined without both ends or with an end before the start. */
export function formatDuration(startedAt?: string, endedAt?: string): string | undefined {
  if (!startedAt || !endedAt) return undefined;
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * Cuts an already escaped text to `max` characters with an ellipsis, never inside an entity (`&amp;`),
 * a link (`<url|label>`) or inline code, which would leave markup open.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = text.slice(0, Math.max(0, max - 1));
  kept = kept.replace(/&[a-z]*$/, '');
  const open = kept.lastIndexOf('<');
  if (open > kept.lastIndexOf('>')) kept = kept.slice(0, open);
  if ((kept.match(/`/g) ?? []).length % 2 === 1) kept = kept.slice(0, kept.lastIndexOf('`'));
  return `${kept}…`;
}

/** Plain text (headers, buttons, dialogs) from a text that may come from the run: escaped, then cut. */
function plain(text: string, max: number): SlackTextObject {
  return { type: 'plain_text', text: cutText(slackEscape(text), max), emoji: false };
}

function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): SlackTextObject {
  return { type: 'mrkdwn', text: cutText(text, max) };
}

/** The run link as mrkdwn: a link on AWS, the local command as code. */
function runLinkText(link: string, label = 'Step Functions execution'): string {
  return isUrl(link) ? slackLink(link, label) : slackCode(link);
}

/** Where to see what was left out: the run link, else the CLI command for the run. */
function seeTheRun(view: SlackRunView): string {
  return view.runLink
    ? `see ${runLinkText(view.runLink, 'the run')}`
    : `see ${slackCode(`pushgate run ${view.runId}`)}`;
}

function commitText(view: SlackRunView): string {
  const sha7 = view.commit.sha.slice(0, 7);
  const url = view.commit.url;
  return url && isUrl(url) && !/[<>|]/.test(url) ? `<${url}|${slackEscape(sha7)}>` : slackCode(sha7);
}

function triggerText(trigger: SlackTrigger): string {
  const pr = (number: number | undefined, url: string | undefined) => {
    const label = number === undefined ? 'a pull request' : `pull request #${number}`;
    return url ? slackLink(url, label) : label;
  };
  switch (trigger.kind) {
    case 'push':
      return 'a push';
    case 'pull_request':
      return pr(trigger.number, trigger.url);
    case 'comment':
      return `${trigger.command ? `${slackCode(trigger.command)} in ` : 'a comment on '}${pr(trigger.number, trigger.url)}`;
    case 'rollback':
      return trigger.toSha ? `a rollback to ${slackCode(trigger.toSha.slice(0, 7))}` : 'a rollback';
    case 'drift':
      return 'a drift check (the schedule or `pushgate drift`)';
  }
}

function approvalText(approval: SlackApproval): string {
  const reason = approval.reason ? `: ${slackEscape(cutText(approval.reason, 300))}` : '';
  return `${approval.decision} by ${slackEscape(approval.by)} via ${VIA_WORDS[approval.via]}${reason}`;
}

/** One target as a line; `reasonMax` keeps one long reason from taking the whole section. */
function targetLine(target: SlackTargetView, reasonMax: number): string {
  let line = `• *${slackEscape(target.project)}* in *${slackEscape(target.environment)}*: ${words(target.status)}`;
  if (target.drifted === true) {
    line += target.driftAlert === true ? ', *drifted*' : ', still drifted';
    if (target.driftSince) line += ` since ${slackEscape(target.driftSince)}`;
  } else if (target.drifted === false) line += ', no drift';
  if (target.summary) line += `. ${slackEscape(formatSummary(target.summary))}`;
  if (target.reason) line += ` (${cutText(slackEscape(target.reason), reasonMax)})`;
  if (target.approvals && target.approvals.length > 0) line += `; ${target.approvals.map(approvalText).join('; ')}`;
  return line;
}

/**
 * Lines packed into at most `maxSections` texts of at most 3,000 characters each; what does not fit
 * is replaced by `more(n)` (n lines left out), which always fits in the last text.
 */
function packLines(lines: string[], maxSections: number, more: (left: number) => string): string[] {
  const max = SLACK_LIMITS.sectionText;
  const texts: string[] = [];
  let current: string[] = [];
  let length = 0;
  const flush = () => {
    if (current.length > 0) texts.push(current.join('\n'));
    current = [];
    length = 0;
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = cutText(lines[index]!, max - 200);
    const lastSection = texts.length === maxSections - 1;
    const after = lines.length - index - 1;
    // In the last section, room stays for the line saying how many were left out.
    const reserve = lastSection && after > 0 ? more(after).length + 1 : 0;
    const added = (current.length > 0 ? 1 : 0) + line.length;
    if (length + added + reserve <= max) {
      current.push(line);
      length += added;
    } else if (!lastSection) {
      flush();
      index -= 1; // this line again, in the next section
    } else {
      current.push(more(lines.length - index));
      flush();
      return texts;
    }
  }
  flush();
  return texts;
}

function driftedTargets(view: SlackRunView): SlackTargetView[] {
  return view.targets.filter((target) => target.drifted === true);
}

/**
 * What to do about a drift: look at it, deploy over it, or let pushgate apply again. Only for a drift
 * check that found drift this check (driftAlert) and did not already apply it again.
 */
function driftAdvice(view: SlackRunView): string | undefined {
  if (view.trigger.kind !== 'drift' || view.phase !== 'finished') return undefined;
  const alerted = view.targets.filter((target) => target.driftAlert === true);
  if (alerted.length === 0) return undefined;
  const environments = [...new Set(alerted.map((target) => target.environment))];
  const remediated = alerted.every((target) => target.status === 'succeeded');
  if (remediated) {
    return `*Drift:* what runs in ${environments.map(slackEscape).join(', ')} differed from ${slackCode(view.commit.sha.slice(0, 7))}; it was applied again (\`drift.remediate: true\`).`;
  }
  const check = slackCode(`pushgate drift --repo ${view.repo} --env ${environments[0]!}`);
  return [
    `*Drift:* what runs in ${environments.map(slackEscape).join(', ')} no longer matches ${slackCode(view.commit.sha.slice(0, 7))}, the commit deployed there (someone changed it outside pushgate).`,
    `What to do: look at the plan (${seeTheRun(view)}), check again with ${check}, deploy over it with a push, or set ${slackCode('drift.remediate: true')} for the environment in pushgate.yml to apply it again at its deployed commit.`,
  ].join('\n');
}

function environmentsOf(view: SlackRunView): string[] {
  return [...new Set(view.targets.map((target) => target.environment))];
}

/**
 * The notification text (what notifications, the channel list and clients without blocks show),
 * escaped like the blocks: `acme/infra: deploy of main to staging, prod at 0123456 failed`.
 */
export function slackFallbackText(view: SlackRunView): string {
  const kind = TRIGGER_KIND_WORDS[view.trigger.kind];
  const environments = environmentsOf(view);
  const where = environments.length > 0 ? ` to ${environments.join(', ')}` : '';
  const text = `${view.repo}: ${kind} of ${view.branch}${where} at ${view.commit.sha.slice(0, 7)} ${phaseWords(view)}`;
  return cutText(slackEscape(text), 3000);
}

function headline(view: SlackRunView): string {
  const kind = TRIGGER_KIND_WORDS[view.trigger.kind];
  return `*${slackEscape(view.repo)}* ${kind} of ${slackCode(view.branch)} at ${commitText(view)} by ${slackEscape(view.actor)}: *${phaseWords(view)}*`;
}

function commitLines(view: SlackRunView): string[] {
  const lines: string[] = [];
  if (view.commit.firstLine) {
    const author = view.commit.author ? ` (${slackEscape(view.commit.author)})` : '';
    lines.push(`Commit: ${cutText(slackEscape(view.commit.firstLine.split('\n')[0]!), 500)}${author}`);
  }
  lines.push(`Triggered by ${triggerText(view.trigger)}`);
  return lines;
}

function contextLine(view: SlackRunView): SlackBlock | undefined {
  const parts: string[] = [];
  const duration = view.phase === 'finished' ? formatDuration(view.startedAt, view.endedAt) : undefined;
  if (duration) parts.push(`Took ${duration}`);
  if (view.runLink)
    parts.push(isUrl(view.runLink) ? runLinkText(view.runLink) : `See the run with ${slackCode(view.runLink)}`);
  if (parts.length === 0) return undefined;
  return { type: 'context', elements: [mrkdwn(parts.join(' · '), SLACK_LIMITS.contextText)] };
}

/**
 * The run's own message: posted when it starts and updated in place as it moves (bot token), or posted
 * once at the end (incoming webhook). A header, the headline (repository, kind, branch, commit, actor,
 * phase), the commit's first line and what triggered the run, one line per target (status, plan in
 * Terraform's words, reason, approvals), the run's reason, its duration and the run link. Everything
 * from the run is escaped; a run with more targets than fit ends its list with how many were left out
 * and where to see them.
 */
export function slackRunMessage(view: SlackRunView): SlackMessagePayload {
  const kind = TRIGGER_KIND_WORDS[view.trigger.kind];
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(`${capitalize(kind)} ${phaseWords(view)}: ${view.repo}`, SLACK_LIMITS.headerText) },
    { type: 'section', text: mrkdwn([headline(view), ...commitLines(view)].join('\n')) },
  ];
  if (view.targets.length > 0) {
    const [targets] = packLines(
      view.targets.map((target) => targetLine(target, 300)),
      1,
      (left) => `… and ${left} more ${left === 1 ? 'target' : 'targets'}: ${seeTheRun(view)}`,
    );
    blocks.push({ type: 'section', text: mrkdwn(targets!) });
  }
  if (view.reason) blocks.push({ type: 'section', text: mrkdwn(`*Reason:* ${slackEscape(view.reason)}`) });
  const advice = driftAdvice(view);
  if (advice) blocks.push({ type: 'section', text: mrkdwn(advice) });
  const context = contextLine(view);
  if (context) blocks.push(context);
  return { text: slackFallbackText(view), blocks };
}

/**
 * The details reply in the run message's thread: every target with its plan, reason and approvals,
 * over as many sections as Slack allows in one message; the rest is counted and pointed to.
 */
export function slackTargetDetails(view: SlackRunView): SlackMessagePayload {
  const lines =
    view.targets.length > 0
      ? view.targets.map((target) => targetLine(target, 1500))
      : ['No targets: nothing to deploy for this run.'];
  const sections = packLines(
    lines,
    SLACK_LIMITS.blocksPerMessage - 1,
    (left) => `… and ${left} more ${left === 1 ? 'target' : 'targets'}: ${seeTheRun(view)}`,
  );
  const count = view.targets.length;
  return {
    text: cutText(
      slackEscape(`${view.repo}: ${count} ${count === 1 ? 'target' : 'targets'} ${phaseWords(view)}`),
      3000,
    ),
    blocks: [
      { type: 'section', text: mrkdwn(`*Targets of ${slackEscape(view.repo)} at ${commitText(view)}*`) },
      ...sections.map((text): SlackBlock => ({ type: 'section', text: mrkdwn(text) })),
    ],
  };
}

export interface ApprovalRequestOptions {
  /**
   * Whether the message can carry buttons: true for the pushgate Slack app (bot token, interactivity
   * on), false for a plain incoming webhook, where buttons would do nothing; the message then says
   * only how to approve by comment or from the CLI. Default true.
   */
  interactive?: boolean;
}

/** The targets an approval request is about: those waiting for one. */
export function awaitingApproval(view: SlackRunView): SlackTargetView[] {
  return view.targets.filter((target) => target.status === 'awaiting_approval');
}

/** The typed ways to approve, for each target and for the whole run. */
function approveCommands(view: SlackRunView, target: SlackTargetView): string {
  return `comment ${slackCode(`/pushgate approve ${target.project} ${target.environment}`)} on the pull request, or run ${slackCode(`pushgate approve ${view.runId}`)}`;
}

function approvalButtons(view: SlackRunView, target: SlackTargetView, index: number): SlackBlock | undefined {
  if (!target.planSha256) return undefined;
  const value = approvalButtonValue({
    runId: view.runId,
    project: target.project,
    environment: target.environment,
    planSha256: target.planSha256,
  });
  if (value.length > SLACK_LIMITS.buttonValue) return undefined;
  const plan = target.summary ? ` ${formatSummary(target.summary)}` : '';
  return {
    type: 'actions',
    block_id: `pushgate_approval_${index}`,
    elements: [
      {
        type: 'button',
        text: plain('Approve', SLACK_LIMITS.buttonText),
        action_id: APPROVE_ACTION_ID,
        value,
        style: 'primary',
        confirm: {
          title: plain(`Apply to ${target.environment}?`, SLACK_LIMITS.confirmTitle),
          text: plain(
            `Apply the reviewed plan of ${target.project} to ${target.environment}.${plan}`,
            SLACK_LIMITS.confirmText,
          ),
          confirm: plain('Approve and apply', SLACK_LIMITS.confirmButton),
          deny: plain('Cancel', SLACK_LIMITS.confirmButton),
          style: 'primary',
        },
      },
      {
        type: 'button',
        text: plain('Reject', SLACK_LIMITS.buttonText),
        action_id: REJECT_ACTION_ID,
        value,
        style: 'danger',
      },
    ],
  };
}

/**
 * The approval request: for each target waiting for approval, its plan and what to do: Approve /
 * Reject buttons (`pushgate_approve` / `pushgate_reject`, value `{ runId, project, environment,
 * planSha256 }`, a confirm dialog on approve) when `interactive`, and always the typed alternatives
 * (`/pushgate approve <project> <env>` on the pull request, `pushgate approve <runId>` on the CLI).
 * Past what one message can hold (two blocks a target), the rest is counted with the run link.
 */
export function slackApprovalRequest(view: SlackRunView, options: ApprovalRequestOptions = {}): SlackMessagePayload {
  const interactive = options.interactive ?? true;
  const waiting = awaitingApproval(view);
  const count = waiting.length;
  const targetsWord = count === 1 ? 'target' : 'targets';
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(`Approval needed: ${view.repo}`, SLACK_LIMITS.headerText) },
    {
      type: 'section',
      text: mrkdwn(
        `${headline(view)}\n${count} ${targetsWord} ${count === 1 ? 'waits' : 'wait'} for approval before ${count === 1 ? 'its' : 'their'} reviewed plan is applied.`,
      ),
    },
  ];
  // Header, intro, the alternatives and the overflow line: the rest is two blocks a target.
  const perTarget = interactive ? 2 : 1;
  const room = Math.floor((SLACK_LIMITS.blocksPerMessage - 4) / perTarget);
  const shown = waiting.slice(0, room);
  for (const [index, target] of shown.entries()) {
    const plan = target.summary ? ` ${slackEscape(formatSummary(target.summary))}` : '';
    const how = interactive && target.planSha256 ? '' : `\nTo approve, ${approveCommands(view, target)}.`;
    blocks.push({
      type: 'section',
      text: mrkdwn(`*${slackEscape(target.project)}* in *${slackEscape(target.environment)}*:${plan}${how}`),
    });
    const buttons = interactive ? approvalButtons(view, target, index) : undefined;
    if (buttons) blocks.push(buttons);
  }
  if (waiting.length > shown.length) {
    const left = waiting.length - shown.length;
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `… and ${left} more ${left === 1 ? 'target waits' : 'targets wait'} for approval: ${seeTheRun(view)}, and approve with ${slackCode(`pushgate approve ${view.runId}`)}.`,
      ),
    });
  }
  const alternatives = interactive
    ? `Or comment ${slackCode('/pushgate approve <project> <environment>')} on the pull request, or run ${slackCode(`pushgate approve ${view.runId}`)}. Rejecting works the same way with ${slackCode('reject')}.`
    : `Buttons need the pushgate Slack app. Comment ${slackCode('/pushgate approve <project> <environment>')} on the pull request, or run ${slackCode(`pushgate approve ${view.runId}`)}. Rejecting works the same way with ${slackCode('reject')}.`;
  const link = view.runLink ? ` · ${runLinkText(view.runLink)}` : '';
  blocks.push({ type: 'context', elements: [mrkdwn(`${alternatives}${link}`, SLACK_LIMITS.contextText)] });
  const text = `${view.repo}: ${count} ${targetsWord} of ${view.branch} at ${view.commit.sha.slice(0, 7)} ${count === 1 ? 'waits' : 'wait'} for approval`;
  return { text: cutText(slackEscape(text), 3000), blocks };
}

/**
 * Why an approval request is closed: the run finished (or nothing waits any more), or a newer request
 * in the same thread replaces it.
 */
export type ApprovalClosedBy = 'finished' | 'superseded';

/** `2026-01-01 10:01 UTC` from an ISO 8601 time; anything else as it came, escaped. */
function whenText(at: string): string {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) return slackEscape(at);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function decisionText(approval: SlackApproval): string {
  return `${approvalText(approval)} at ${whenText(approval.at)}`;
}

/** The targets an approval request was about, as far as the run tells: decided, waiting, or expired. */
function askedAbout(view: SlackRunView): SlackTargetView[] {
  return view.targets.filter(
    (target) =>
      (target.approvals?.length ?? 0) > 0 || target.status === 'awaiting_approval' || target.status === 'expired',
  );
}

/**
 * An approval request once it is closed, to replace it in place (chat.update): no buttons, and for
 * each target it asked about what became of it: the decision (who, via what, when, why), expired, or
 * still waiting but superseded by a newer request in the thread. Its fallback text says the same in a
 * word: decided, expired, superseded or closed.
 */
export function slackApprovalClosed(view: SlackRunView, closedBy: ApprovalClosedBy): SlackMessagePayload {
  const targets = askedAbout(view);
  const lines = targets.map((target) => {
    const where = `• *${slackEscape(target.project)}* in *${slackEscape(target.environment)}*: `;
    if (target.approvals && target.approvals.length > 0) return where + target.approvals.map(decisionText).join('; ');
    if (target.status === 'expired') return `${where}expired: nobody decided in time`;
    if (target.status === 'awaiting_approval' && closedBy === 'superseded') {
      return `${where}still waiting: superseded by a newer approval request in this thread`;
    }
    return `${where}no decision (${words(target.status)})`;
  });
  const decided = targets.length > 0 && targets.every((target) => (target.approvals?.length ?? 0) > 0);
  const expired =
    targets.length > 0 && targets.every((target) => target.status === 'expired' && !target.approvals?.length);
  const state = decided ? 'decided' : expired ? 'expired' : closedBy === 'superseded' ? 'superseded' : 'closed';
  const sections = packLines(
    lines.length > 0 ? lines : [`No decision was recorded: the run is ${words(view.status)}.`],
    SLACK_LIMITS.blocksPerMessage - 3,
    (left) => `… and ${left} more ${left === 1 ? 'target' : 'targets'}: ${seeTheRun(view)}`,
  );
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(`Approval ${state}: ${view.repo}`, SLACK_LIMITS.headerText) },
    { type: 'section', text: mrkdwn(headline(view)) },
    ...sections.map((text): SlackBlock => ({ type: 'section', text: mrkdwn(text) })),
  ];
  if (view.runLink) {
    blocks.push({ type: 'context', elements: [mrkdwn(runLinkText(view.runLink), SLACK_LIMITS.contextText)] });
  }
  const text = `${view.repo}: approval of ${view.branch} at ${view.commit.sha.slice(0, 7)} ${state}`;
  return { text: cutText(slackEscape(text), 3000), blocks };
}

// --- Checking a message against Slack's limits --------------------------------------------------------

const BLOCK_TYPES = new Set([
  'header',
  'section',
  'context',
  'actions',
  'divider',
  'image',
  'rich_text',
  'input',
  'file',
  'video',
  'markdown',
  'table',
]);

/**
 * Every way a message breaks one of Slack's limits (SLACK_LIMITS), as readable lines with the path of
 * the offending field; empty when Slack would take it. Checks what pushgate sends (header, section,
 * context, actions with buttons, divider) in depth and only the count and block_id of other blocks.
 */
export function checkSlackLimits(message: { text?: unknown; blocks?: unknown }): string[] {
  const problems: string[] = [];
  const over = (path: string, length: number, max: number, what: string) => {
    if (length > max) problems.push(`${path}: ${length} characters, Slack allows ${max} (${what})`);
  };
  const textObject = (value: unknown, path: string, max: number, what: string, plainOnly = false) => {
    const object = value as Partial<SlackTextObject> | undefined;
    if (typeof object !== 'object' || object === null || typeof object.text !== 'string') {
      problems.push(`${path}: missing text object (${what})`);
      return;
    }
    if (object.type !== 'plain_text' && object.type !== 'mrkdwn')
      problems.push(`${path}.type: must be plain_text or mrkdwn`);
    else if (plainOnly && object.type !== 'plain_text') problems.push(`${path}.type: must be plain_text (${what})`);
    if (object.text.length === 0) problems.push(`${path}.text: empty (${what})`);
    over(`${path}.text`, object.text.length, max, what);
  };
  const button = (value: unknown, path: string) => {
    const element = value as Partial<SlackButton>;
    if (element?.type !== 'button') return;
    textObject(element.text, `${path}.text`, SLACK_LIMITS.buttonText, 'button text', true);
    if (typeof element.action_id === 'string')
      over(`${path}.action_id`, element.action_id.length, SLACK_LIMITS.actionId, 'action_id');
    if (typeof element.value === 'string')
      over(`${path}.value`, element.value.length, SLACK_LIMITS.buttonValue, 'button value');
    if (typeof element.url === 'string') over(`${path}.url`, element.url.length, SLACK_LIMITS.buttonUrl, 'button url');
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger')
      problems.push(`${path}.style: must be primary or danger`);
    if (element.confirm) {
      textObject(element.confirm.title, `${path}.confirm.title`, SLACK_LIMITS.confirmTitle, 'confirm title', true);
      textObject(element.confirm.text, `${path}.confirm.text`, SLACK_LIMITS.confirmText, 'confirm text');
      textObject(
        element.confirm.confirm,
        `${path}.confirm.confirm`,
        SLACK_LIMITS.confirmButton,
        'confirm button',
        true,
      );
      textObject(element.confirm.deny, `${path}.confirm.deny`, SLACK_LIMITS.confirmButton, 'deny button', true);
    }
  };

  if (message.text !== undefined && typeof message.text !== 'string') problems.push('text: must be a string');
  const text = typeof message.text === 'string' ? message.text : '';
  over('text', text.length, SLACK_LIMITS.messageText, 'message text');
  if (message.blocks === undefined) {
    if (text.trim() === '') problems.push('text: a message needs text or blocks');
    return problems;
  }
  if (!Array.isArray(message.blocks)) return [...problems, 'blocks: must be an array'];
  if (message.blocks.length > SLACK_LIMITS.blocksPerMessage)
    problems.push(
      `blocks: ${message.blocks.length} blocks, Slack allows ${SLACK_LIMITS.blocksPerMessage} in a message`,
    );
  if (message.blocks.length === 0 && text.trim() === '') problems.push('text: a message needs text or blocks');

  const blockIds = new Set<string>();
  for (const [index, raw] of message.blocks.entries()) {
    const path = `blocks[${index}]`;
    const block = raw as Record<string, unknown>;
    if (typeof block !== 'object' || block === null || typeof block.type !== 'string') {
      problems.push(`${path}: not a block`);
      continue;
    }
    if (!BLOCK_TYPES.has(block.type)) problems.push(`${path}.type: unknown block type ${JSON.stringify(block.type)}`);
    if (typeof block.block_id === 'string') {
      over(`${path}.block_id`, block.block_id.length, SLACK_LIMITS.blockId, 'block_id');
      if (blockIds.has(block.block_id)) problems.push(`${path}.block_id: ${block.block_id} is used twice`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'header':
        textObject(block.text, `${path}.text`, SLACK_LIMITS.headerText, 'header text', true);
        break;
      case 'section': {
        if (block.text === undefined && block.fields === undefined)
          problems.push(`${path}: a section needs text or fields`);
        if (block.text !== undefined) textObject(block.text, `${path}.text`, SLACK_LIMITS.sectionText, 'section text');
        if (block.fields !== undefined) {
          const fields = Array.isArray(block.fields) ? block.fields : [];
          if (fields.length > SLACK_LIMITS.sectionFields)
            problems.push(`${path}.fields: ${fields.length} fields, Slack allows ${SLACK_LIMITS.sectionFields}`);
          for (const [at, field] of fields.entries())
            textObject(field, `${path}.fields[${at}]`, SLACK_LIMITS.fieldText, 'section field');
        }
        if (block.accessory !== undefined) button(block.accessory, `${path}.accessory`);
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) problems.push(`${path}.elements: a context needs elements`);
        if (elements.length > SLACK_LIMITS.contextElements)
          problems.push(`${path}.elements: ${elements.length} elements, Slack allows ${SLACK_LIMITS.contextElements}`);
        for (const [at, element] of elements.entries())
          if ((element as { type?: unknown })?.type !== 'image')
            textObject(element, `${path}.elements[${at}]`, SLACK_LIMITS.contextText, 'context text');
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) problems.push(`${path}.elements: an actions block needs elements`);
        if (elements.length > SLACK_LIMITS.actionsElements)
          problems.push(`${path}.elements: ${elements.length} elements, Slack allows ${SLACK_LIMITS.actionsElements}`);
        const actionIds = new Set<string>();
        for (const [at, element] of elements.entries()) {
          button(element, `${path}.elements[${at}]`);
          const actionId = (element as { action_id?: unknown })?.action_id;
          if (typeof actionId === 'string') {
            if (actionIds.has(actionId))
              problems.push(`${path}.elements[${at}].action_id: ${actionId} is used twice in the block`);
            actionIds.add(actionId);
          }
        }
        break;
      }
    }
  }
  return problems;
}
