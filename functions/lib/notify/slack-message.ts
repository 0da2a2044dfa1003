import type { IncomingWebhookSendArguments } from '@slack/webhook';
import { isUrl } from '../console-url.ts';
import { formatSummary } from '../plan/format-summary.ts';
import type { RunOutcome, TargetOutcome } from '../workflow/contract.ts';
import { slackCode, slackEscape, slackLink } from './slack-text.ts';

/** Slack rejects a section whose text is longer than 3,000 characters. https://docs.slack.dev/reference/block-kit/blocks/section-block */
const MAX_SECTION_TEXT = 3000;

const KIND_WORDS: Record<RunOutcome['kind'], string> = {
  push: 'deploy',
  plan: 'plan',
  comment: 'pull request command',
  drift: 'drift check',
};

/**
 * A plain Slack message for a finished run: the outcome in words, the repository, branch and short
 * commit, each target's status with its plan in Terraform's words, the reason when there is one and
 * a link to the execution (locally, the command that shows the run, as code). Every text from the run
 * is escaped (slackEscape), in the fallback `text` as in the blocks: a branch named `<!channel>` must
 * not ping a channel, and a reason must not become a mention or a link.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 */
export function slackMessage(outcome: RunOutcome): IncomingWebhookSendArguments {
  const status = words(outcome.status);
  const sha7 = outcome.sha.slice(0, 7);
  const kind = KIND_WORDS[outcome.kind];
  const headline = `*${slackEscape(outcome.repo)}* ${kind} of ${slackCode(outcome.branch)} at ${slackCode(sha7)} by ${slackEscape(outcome.actor)}: *${status}*`;
  const blocks: NonNullable<IncomingWebhookSendArguments['blocks']> = [
    { type: 'section', text: { type: 'mrkdwn', text: headline } },
  ];

  if (outcome.targets.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fit(outcome.targets.map(targetLine)) } });
  }
  if (outcome.reason) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`*Reason:* ${slackEscape(outcome.reason)}`) },
    });
  }
  if (outcome.consoleUrl) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: runLinkText(outcome.consoleUrl) }] });
  }

  const environments = [...new Set(outcome.targets.map((target) => target.environment))];
  const where = environments.length > 0 ? ` to ${environments.join(', ')}` : '';
  return {
    // What notifications and clients without blocks show: read as mrkdwn too, so escaped as well.
    text: slackEscape(`${outcome.repo}: ${kind} of ${outcome.branch}${where} at ${sha7} ${status}`),
    blocks,
  };
}

/** On AWS a link to the execution's console page; locally the command that shows the run, as code, never a link. */
function runLinkText(link: string): string {
  return isUrl(link) ? slackLink(link, 'Step Functions execution') : `See the run with ${slackCode(link)}`;
}

function targetLine(target: TargetOutcome): string {
  let line = `• *${slackEscape(target.project)}* in *${slackEscape(target.environment)}*: ${words(target.status)}`;
  if (target.summary) line += `. ${slackEscape(formatSummary(target.summary))}`;
  if (target.reason) line += ` (${slackEscape(target.reason)})`;
  return line;
}

/** As many target lines as fit in one section, then how many were left out. */
function fit(lines: string[]): string {
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const tail = `\n… and ${lines.length - index} more`;
    if (length + line.length + 1 + tail.length > MAX_SECTION_TEXT) {
      kept.push(tail.trimStart());
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

function truncate(text: string): string {
  return text.length > MAX_SECTION_TEXT ? `${text.slice(0, MAX_SECTION_TEXT - 1)}…` : text;
}

function words(status: string): string {
  return status.replaceAll('_', ' ');
}
