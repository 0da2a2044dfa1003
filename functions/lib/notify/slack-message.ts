import type { IncomingWebhookSendArguments } from '@slack/webhook';
import { formatSummary } from '../plan/format-summary.ts';
import type { RunOutcome, TargetOutcome } from '../workflow/contract.ts';

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
 * a link to the execution. Text from the run is escaped: it must not become a mention or a link.
 * https://docs.slack.dev/messaging/formatting-message-text#escaping
 */
export function slackMessage(outcome: RunOutcome): IncomingWebhookSendArguments {
  const status = words(outcome.status);
  const sha7 = outcome.sha.slice(0, 7);
  const kind = KIND_WORDS[outcome.kind];
  const headline = `*${escape(outcome.repo)}* ${kind} of \`${escape(outcome.branch)}\` at \`${sha7}\` by ${escape(outcome.actor)}: *${status}*`;
  const blocks: NonNullable<IncomingWebhookSendArguments['blocks']> = [
    { type: 'section', text: { type: 'mrkdwn', text: headline } },
  ];

  if (outcome.targets.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fit(outcome.targets.map(targetLine)) } });
  }
  if (outcome.reason) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`*Reason:* ${escape(outcome.reason)}`) } });
  }
  if (outcome.consoleUrl) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${outcome.consoleUrl}|Step Functions execution>` }],
    });
  }

  const environments = [...new Set(outcome.targets.map((target) => target.environment))];
  const where = environments.length > 0 ? ` to ${environments.join(', ')}` : '';
  return {
    text: `${outcome.repo}: ${kind} of ${outcome.branch}${where} at ${sha7} ${status}`,
    blocks,
  };
}

function targetLine(target: TargetOutcome): string {
  let line = `• *${escape(target.project)}* in *${escape(target.environment)}*: ${words(target.status)}`;
  if (target.summary) line += `. ${escape(formatSummary(target.summary))}`;
  if (target.reason) line += ` (${escape(target.reason)})`;
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

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
