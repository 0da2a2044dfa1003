import { isUrl } from '../console-url.ts';

/**
 * Slack reads `&`, `<` and `>` as control characters in every text it renders (a message's `text`,
 * block texts, fields): `<!channel>` pings a channel, `<@U123>` a person, `<https://…|label>` is a
 * link. Any string pushgate did not write itself (a branch, a repository, a login, a reason, a project
 * name, a plan summary) goes through here before it is put into a Slack text, and only those three
 * characters are replaced, as Slack documents: the rest, emoji or backticks included, is shown as is.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 */
export function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * A link pushgate makes itself: `<url|label>`, the label escaped. Something that is not a plain web
 * address (the local stack's `pushgate run <runId>`, which is a command to type) is never wrapped in
 * link markup: it is shown as code, escaped, after the label.
 * https://api.slack.com/reference/surfaces/formatting#linking-urls
 */
export function slackLink(target: string, label: string): string {
  // A `|` or `>` would end the URL part early; a console URL never has one (the ARN is percent-encoded).
  if (isUrl(target) && !/[<>|]/.test(target)) return `<${target}|${slackEscape(label)}>`;
  return `${slackEscape(label)}: ${slackCode(target)}`;
}

/** Text as inline code; a backtick inside would end the code early, so it becomes a quote. */
export function slackCode(text: string): string {
  return `\`${slackEscape(text.replaceAll('`', "'"))}\``;
}
