import { describe, expect, it } from 'vitest';
import { consoleUrl, showRunCommand } from '../../../functions/lib/console-url.ts';
import { slackMessage } from '../../../functions/lib/notify/slack-message.ts';
import { slackCode, slackEscape, slackLink } from '../../../functions/lib/notify/slack-text.ts';
import type { RunOutcome } from '../../../functions/lib/workflow/contract.ts';
import { EXECUTION_ARN, failedOutcome } from './run-outcome-fixture.ts';

/** Every text Slack renders in a message: its `text`, and every `text` of its blocks, elements and fields. */
function textFields(value: unknown, path = '$'): { path: string; text: string }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => textFields(item, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'text' && typeof inner === 'string'
      ? [{ path: `${path}.text`, text: inner }]
      : textFields(inner, `${path}.${key}`),
  );
}

/** A link pushgate built itself: `<https://…|label>`. */
const OWN_LINK = /<https:\/\/[^\s<>|]+\|[^<>|]*>/g;

/** Slack control sequences in a text once pushgate's own links are taken out: there must be none. */
function controlSequences(text: string): string[] {
  const rest = text.replace(OWN_LINK, '');
  return [...rest.matchAll(/[<>]|&(?!(?:amp|lt|gt);)/g)].map((match) => match[0]);
}

const hostile: RunOutcome = {
  ...failedOutcome,
  repo: 'acme/<!here>',
  branch: '<!channel>',
  actor: '<@U999>',
  reason: 'boom <@U123> & <https://evil.example|click here>',
  targets: [
    {
      project: 'network',
      environment: 'prod',
      status: 'failed',
      summary: { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: ['<!subteam^S1>'], hasChanges: true },
      reason: 'apply failed <!everyone> & more',
    },
  ],
};

describe('slackMessage: text from the run is escaped in every field', () => {
  it('a branch named <!channel> and a reason with <@U123> and & ping nobody and link nowhere', () => {
    const message = slackMessage(hostile);
    const fields = textFields(message);
    // The fallback text, the header, the headline, the targets, the reason and the link: all of them checked.
    expect(fields.map((field) => field.path)).toEqual([
      '$.text',
      '$.blocks[0].text.text',
      '$.blocks[1].text.text',
      '$.blocks[2].text.text',
      '$.blocks[3].text.text',
      '$.blocks[4].elements[0].text',
    ]);
    for (const { path, text } of fields) {
      expect(controlSequences(text), `${path}: ${text}`).toEqual([]);
      for (const raw of [
        '<!channel>',
        '<@U123>',
        '<!here>',
        '<@U999>',
        '<!everyone>',
        '<!subteam^S1>',
        '<https://evil',
      ])
        expect(text, path).not.toContain(raw);
    }

    expect(message.text).toBe('acme/&lt;!here&gt;: deploy of &lt;!channel&gt; to prod at 0123456 failed');
    const all = fields.map((field) => field.text).join('\n');
    expect(all).toContain('*acme/&lt;!here&gt;* deploy of `&lt;!channel&gt;` at `0123456` by &lt;@U999&gt;: *failed*');
    expect(all).toContain('*Reason:* boom &lt;@U123&gt; &amp; &lt;https://evil.example|click here&gt;');
    expect(all).toContain('Changes to Outputs: &lt;!subteam^S1&gt; (apply failed &lt;!everyone&gt; &amp; more)');
    // The one link left is pushgate's own.
    expect(all.match(OWN_LINK)).toEqual([`<${consoleUrl(EXECUTION_ARN)}|Step Functions execution>`]);
  });

  it('links to the Step Functions console on AWS', () => {
    const context = slackMessage(failedOutcome).blocks?.at(-1);
    expect(context).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${consoleUrl(EXECUTION_ARN)}|Step Functions execution>` }],
    });
  });

  it('shows the local `pushgate run <runId>` as code, never as link markup', () => {
    const message = slackMessage({ ...failedOutcome, consoleUrl: showRunCommand('01M8RUN') });
    const context = JSON.stringify(message.blocks?.at(-1));
    expect(context).toContain('See the run with `pushgate run 01M8RUN`');
    expect(JSON.stringify(message)).not.toMatch(/<[^>]*pushgate run/);
  });
});

describe('slack-text', () => {
  it('escapes &, < and > (in that order, so an entity is not escaped twice) and nothing else', () => {
    expect(slackEscape('a & b <!channel> > c `d` *e* :tada:')).toBe('a &amp; b &lt;!channel&gt; &gt; c `d` *e* :tada:');
    expect(slackEscape('&lt;')).toBe('&amp;lt;');
  });

  it('links a web address with an escaped label; anything else becomes code after the label', () => {
    expect(slackLink('https://example.com/x?a=1', 'A <b> & c')).toBe('<https://example.com/x?a=1|A &lt;b&gt; &amp; c>');
    expect(slackLink('pushgate run 01M8', 'Run')).toBe('Run: `pushgate run 01M8`');
    // Something that would end the URL part early is not a link either.
    expect(slackLink('https://example.com/a|<!channel>', 'Run')).toBe('Run: `https://example.com/a|&lt;!channel&gt;`');
  });

  it('keeps code from being closed early by a backtick', () => {
    expect(slackCode('feat/`rm -rf`<x>')).toBe("`feat/'rm -rf'&lt;x&gt;`");
  });
});
