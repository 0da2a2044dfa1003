import { describe, expect, it } from 'vitest';
import { consoleUrl, showRunCommand } from '../../../functions/lib/console-url.ts';
import {
  APPROVE_ACTION_ID,
  approvalButtonValue,
  checkSlackLimits,
  cutText,
  formatDuration,
  parseApprovalButtonValue,
  REJECT_ACTION_ID,
  SLACK_LIMITS,
  slackApprovalRequest,
  slackFallbackText,
  slackRunMessage,
  slackTargetDetails,
  type SlackButton,
  type SlackMessagePayload,
  type SlackRunView,
  type SlackTargetView,
} from '../../../functions/lib/notify/slack-blocks.ts';
import { slackRunView } from '../../../functions/lib/notify/slack-message.ts';
import { EXECUTION_ARN, failedOutcome } from './run-outcome-fixture.ts';

const PLAN_SHA = 'a'.repeat(64);

const view: SlackRunView = {
  ...slackRunView(failedOutcome),
  commit: {
    sha: failedOutcome.sha,
    url: 'https://github.com/acme/infra/commit/0123456789abcdef0123456789abcdef01234567',
    author: 'Mona',
    firstLine: 'Widen the VPC',
  },
  trigger: { kind: 'pull_request', number: 42, url: 'https://github.com/acme/infra/pull/42' },
  startedAt: '2026-01-01T10:00:00Z',
  endedAt: '2026-01-01T10:03:07Z',
};

const waiting: SlackRunView = {
  ...view,
  status: 'running',
  phase: 'awaiting_approval',
  reason: undefined,
  targets: [
    {
      project: 'network',
      environment: 'staging',
      status: 'succeeded',
      summary: { add: 1, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: true },
      approvals: [{ decision: 'approved', by: 'octocat', via: 'slack', at: '2026-01-01T10:01:00Z' }],
    },
    {
      project: 'network',
      environment: 'prod',
      status: 'awaiting_approval',
      planSha256: PLAN_SHA,
      summary: { add: 2, change: 1, destroy: 1, replace: 0, outputChanges: [], hasChanges: true },
    },
  ],
};

/** Every text Slack renders: `text`, and every `text` of blocks, elements, fields and dialogs. */
function textFields(value: unknown, path = '$'): { path: string; text: string }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => textFields(item, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'text' && typeof inner === 'string'
      ? [{ path: `${path}.text`, text: inner }]
      : textFields(inner, `${path}.${key}`),
  );
}

/** Links pushgate builds itself: `<https://…|label>`. */
const OWN_LINK = /<https:\/\/[^\s<>|]+\|[^<>|]*>/g;

function controlSequences(text: string): string[] {
  return [...text.replace(OWN_LINK, '').matchAll(/[<>]|&(?!(?:amp|lt|gt);)/g)].map((match) => match[0]);
}

function buttons(message: SlackMessagePayload): SlackButton[] {
  return message.blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []));
}

const hostileTarget: SlackTargetView = {
  project: '<!channel>',
  environment: '<@U1>&',
  status: 'awaiting_approval',
  planSha256: PLAN_SHA,
  reason: 'boom <https://evil.example|click> & <!everyone>',
  summary: { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: ['<!subteam^S1>'], hasChanges: true },
  approvals: [{ decision: 'rejected', by: '<@U2>', via: 'github', at: '2026-01-01T10:00:00Z', reason: '<!here>' }],
};

const hostile: SlackRunView = {
  ...view,
  repo: 'acme/<!here>',
  branch: '<!channel>',
  actor: '<@U999>',
  reason: 'boom <@U123> & <https://evil.example|click here>',
  commit: { sha: failedOutcome.sha, author: '<!here>', firstLine: 'fix <!channel> & <https://x.example|y>\nsecond' },
  trigger: { kind: 'comment', number: 7, command: '/pushgate <!channel>' },
  targets: [hostileTarget],
};

describe('Block Kit builders escape everything that comes from the run', () => {
  const messages = {
    run: slackRunMessage(hostile),
    details: slackTargetDetails(hostile),
    approval: slackApprovalRequest(hostile),
    approvalWebhook: slackApprovalRequest(hostile, { interactive: false }),
  };

  for (const [name, message] of Object.entries(messages)) {
    it(`${name}: no mention, no forged link, in any text`, () => {
      const fields = textFields(message);
      expect(fields.length).toBeGreaterThanOrEqual(3);
      for (const { path, text } of fields) {
        expect(controlSequences(text), `${path}: ${text}`).toEqual([]);
        for (const raw of ['<!channel>', '<!here>', '<@U1>', '<@U2>', '<@U999>', '<!everyone>', '<https://evil'])
          expect(text, path).not.toContain(raw);
      }
      expect(checkSlackLimits(message)).toEqual([]);
    });
  }

  it('keeps the button value exact (it is data, not rendered): it round-trips', () => {
    const [approve, reject] = buttons(messages.approval);
    expect(parseApprovalButtonValue(approve!.value!)).toEqual({
      runId: hostile.runId,
      project: '<!channel>',
      environment: '<@U1>&',
      planSha256: PLAN_SHA,
    });
    expect(reject!.value).toBe(approve!.value);
  });
});

describe('slackRunMessage', () => {
  it('has a header, the headline with the commit link, the commit line, the trigger, targets, reason, duration and run link', () => {
    const message = slackRunMessage(view);
    expect(message.text).toBe('acme/infra: plan of main to staging, prod at 0123456 failed');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Plan failed: acme/infra', emoji: false },
    });
    const all = textFields(message)
      .map((field) => field.text)
      .join('\n');
    expect(all).toContain(`*acme/infra* plan of \`main\` at <${view.commit.url}|0123456> by octocat: *failed*`);
    expect(all).toContain('Commit: Widen the VPC (Mona)');
    expect(all).toContain('Triggered by <https://github.com/acme/infra/pull/42|pull request #42>');
    expect(all).toContain('• *network* in *prod*: failed. Changes to Outputs: vpc_id (apply failed: exit status 1)');
    expect(all).toContain('*Reason:* network/prod: apply failed: exit status 1');
    expect(all).toContain(`Took 3m 07s · <${consoleUrl(EXECUTION_ARN)}|Step Functions execution>`);
    expect(checkSlackLimits(message)).toEqual([]);
  });

  it('says the phase while the run moves, and shows approvals on their targets', () => {
    expect(slackFallbackText({ ...view, phase: 'started', status: 'running' })).toBe(
      'acme/infra: plan of main to staging, prod at 0123456 started',
    );
    const message = slackRunMessage(waiting);
    expect(message.text).toBe('acme/infra: plan of main to staging, prod at 0123456 awaiting approval');
    expect(JSON.stringify(message)).toContain('approved by octocat via Slack');
    expect(JSON.stringify(message)).not.toContain('Took '); // no duration before the end
  });

  it('shows the local run command as code, never as link markup', () => {
    const message = slackRunMessage({ ...view, runLink: showRunCommand('01M8RUN') });
    expect(JSON.stringify(message.blocks.at(-1))).toContain('See the run with `pushgate run 01M8RUN`');
    expect(JSON.stringify(message)).not.toMatch(/<[^>]*pushgate run/);
  });

  it('stays within Slack limits with 200 targets and very long reasons and names, counting what was cut', () => {
    const targets: SlackTargetView[] = Array.from({ length: 200 }, (_, i) => ({
      project: `project-${i}-${'p'.repeat(200)}`,
      environment: `env-${'e'.repeat(300)}`,
      status: 'awaiting_approval',
      planSha256: PLAN_SHA,
      reason: `why ${'&<>'.repeat(3000)}`,
      summary: {
        add: 1,
        change: 0,
        destroy: 0,
        replace: 0,
        outputChanges: Array.from({ length: 100 }, (_, o) => `output_${o}`),
        hasChanges: true,
      },
    }));
    const big: SlackRunView = {
      ...view,
      repo: `acme/${'r'.repeat(300)}`,
      reason: 'x'.repeat(10_000),
      commit: { ...view.commit, firstLine: 'f'.repeat(5000) },
      targets,
    };
    for (const message of [
      slackRunMessage(big),
      slackTargetDetails(big),
      slackApprovalRequest(big),
      slackApprovalRequest(big, { interactive: false }),
    ]) {
      expect(checkSlackLimits(message)).toEqual([]);
      expect(message.blocks.length).toBeLessThanOrEqual(50);
      const all = JSON.stringify(message);
      expect(all).toMatch(/… and \d+ more target/);
      expect(all).toContain(`|the run>`);
      // An entity is never cut in half.
      for (const { text } of textFields(message)) expect(text).not.toMatch(/&(?:a|am|l|g)?…/);
    }
    const approval = slackApprovalRequest(big);
    const shown = buttons(approval).filter((button) => button.action_id === APPROVE_ACTION_ID).length;
    expect(shown).toBeGreaterThan(10);
    expect(JSON.stringify(approval)).toContain(`… and ${200 - shown} more targets wait for approval`);
    const details = slackTargetDetails(big);
    expect(details.blocks.length).toBeGreaterThan(5); // details use many sections, not one
  });

  it('from a RunOutcome: the trigger from its kind, its reason and run link', () => {
    const fromOutcome = slackRunView({ ...failedOutcome, kind: 'drift' });
    expect(fromOutcome).toMatchObject({
      phase: 'finished',
      trigger: { kind: 'drift' },
      runLink: consoleUrl(EXECUTION_ARN),
    });
    expect(slackRunMessage(fromOutcome).text).toBe(
      'acme/infra: drift check of main to staging, prod at 0123456 failed',
    );
  });
});

describe('slackApprovalRequest', () => {
  it('offers Approve (primary, confirmed) and Reject (danger) per waiting target, with the typed alternatives', () => {
    const message = slackApprovalRequest({ ...waiting, runLink: showRunCommand(waiting.runId) });
    expect(message.text).toBe('acme/infra: 1 target of main at 0123456 waits for approval');
    const [approve, reject, ...rest] = buttons(message);
    expect(rest).toEqual([]);
    expect(approve).toMatchObject({ action_id: APPROVE_ACTION_ID, style: 'primary', text: { text: 'Approve' } });
    expect(approve!.confirm).toMatchObject({
      title: { type: 'plain_text', text: 'Apply to prod?' },
      text: { text: 'Apply the reviewed plan of network to prod. Plan: 2 to add, 1 to change, 1 to destroy.' },
    });
    expect(reject).toMatchObject({ action_id: REJECT_ACTION_ID, style: 'danger' });
    expect(JSON.parse(approve!.value!)).toEqual({
      runId: waiting.runId,
      project: 'network',
      environment: 'prod',
      planSha256: PLAN_SHA,
    });
    const all = JSON.stringify(message);
    expect(all).toContain('`/pushgate approve &lt;project&gt; &lt;environment&gt;` on the pull request');
    expect(all).toContain(`\`pushgate approve ${waiting.runId}\``);
    expect(all).toContain('`pushgate run run-01HXYZ`');
    expect(checkSlackLimits(message)).toEqual([]);
  });

  it('without an app (incoming webhook): no buttons, the commands for each target instead', () => {
    const message = slackApprovalRequest(waiting, { interactive: false });
    expect(buttons(message)).toEqual([]);
    const all = JSON.stringify(message);
    expect(all).toContain('Buttons need the pushgate Slack app');
    expect(all).toContain(
      'comment `/pushgate approve network prod` on the pull request, or run `pushgate approve run-01HXYZ`',
    );
  });

  it('offers no button for a target without a plan digest, or whose value would be too long', () => {
    const noDigest = slackApprovalRequest({ ...waiting, targets: [{ ...waiting.targets[1]!, planSha256: undefined }] });
    expect(buttons(noDigest)).toEqual([]);
    expect(JSON.stringify(noDigest)).toContain('`/pushgate approve network prod`');
    const huge = slackApprovalRequest({ ...waiting, targets: [{ ...waiting.targets[1]!, project: 'p'.repeat(2100) }] });
    expect(buttons(huge)).toEqual([]);
    expect(checkSlackLimits(huge)).toEqual([]);
  });
});

describe('checkSlackLimits', () => {
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  it('lists every violation with its path', () => {
    const problems = checkSlackLimits({
      text: 'x',
      blocks: [
        ...Array.from({ length: 50 }, () => section('ok')),
        section('y'.repeat(3001)),
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'header', text: { type: 'mrkdwn', text: 'h' } },
        { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        {
          type: 'actions',
          block_id: 'a',
          elements: [
            {
              type: 'button',
              action_id: 'b',
              text: { type: 'plain_text', text: 'B'.repeat(76) },
              value: 'v'.repeat(2001),
            },
            { type: 'button', action_id: 'b', text: { type: 'plain_text', text: 'ok' }, style: 'green' },
          ],
        },
        { type: 'divider', block_id: 'a' },
        { type: 'nonsense' },
      ],
    });
    expect(problems).toEqual([
      'blocks: 57 blocks, Slack allows 50 in a message',
      'blocks[50].text.text: 3001 characters, Slack allows 3000 (section text)',
      'blocks[51].text.text: 151 characters, Slack allows 150 (header text)',
      'blocks[52].text.type: must be plain_text (header text)',
      'blocks[53].fields: 11 fields, Slack allows 10',
      'blocks[54].elements[0].text.text: 76 characters, Slack allows 75 (button text)',
      'blocks[54].elements[0].value: 2001 characters, Slack allows 2000 (button value)',
      'blocks[54].elements[1].style: must be primary or danger',
      'blocks[54].elements[1].action_id: b is used twice in the block',
      'blocks[55].block_id: a is used twice',
      'blocks[56].type: unknown block type "nonsense"',
    ]);
  });

  it('takes a plain text message and refuses an empty one', () => {
    expect(checkSlackLimits({ text: 'hello' })).toEqual([]);
    expect(checkSlackLimits({ text: ' ' })).toEqual(['text: a message needs text or blocks']);
    expect(checkSlackLimits({ text: 'z'.repeat(SLACK_LIMITS.messageText + 1) })).toEqual([
      'text: 40001 characters, Slack allows 40000 (message text)',
    ]);
  });
});

describe('helpers', () => {
  it('cutText never leaves an entity, a link or code open', () => {
    expect(cutText('abc', 3)).toBe('abc');
    expect(cutText('ab &amp; cd', 6)).toBe('ab …');
    expect(cutText('see <https://x.example/a|label> ok', 20)).toBe('see …');
    expect(cutText('run `pushgate run 01` now', 12)).toBe('run …');
  });

  it('formatDuration', () => {
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:00:42Z')).toBe('42s');
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T01:02:03Z')).toBe('1h 02m');
    expect(formatDuration('2026-01-01T00:00:00Z', undefined)).toBeUndefined();
    expect(formatDuration('2026-01-01T00:00:10Z', '2026-01-01T00:00:00Z')).toBeUndefined();
  });

  it('parseApprovalButtonValue refuses what pushgate did not write', () => {
    const value = approvalButtonValue({ runId: 'r', project: 'p', environment: 'e', planSha256: 's' });
    expect(parseApprovalButtonValue(value)).toEqual({ runId: 'r', project: 'p', environment: 'e', planSha256: 's' });
    expect(parseApprovalButtonValue('not json')).toBeUndefined();
    expect(parseApprovalButtonValue('{"runId":"r"}')).toBeUndefined();
  });
});
