import { describe, expect, it } from 'vitest';
import {
  PLAN_COMMENT_MARKER,
  renderApprovalCommitComment,
  renderPullRequestComment,
} from '../../../functions/lib/report/pull-request-comment.ts';
import { CONSOLE, hugePlan, summary, target, view } from './report-fixtures.ts';

const TERRAFORM_TEXT = `Terraform will perform the following actions:

  # aws_s3_bucket.logs will be created
  + resource "aws_s3_bucket" "logs" {
      + bucket   = "acme-logs"
      + password = (sensitive value)
    }

Plan: 1 to add, 0 to change, 0 to destroy.`;

/** The fenced blocks of a body: each opening fence with its closing one, and what is between. */
function fences(body: string): { fence: string; content: string }[] {
  const blocks: { fence: string; content: string }[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\w*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const close = lines.findIndex((line, j) => j > i && new RegExp(`^\`{${fence.length},}\\s*$`).test(line));
    if (close < 0) throw new Error(`unclosed fence at line ${i + 1}`);
    blocks.push({ fence, content: lines.slice(i + 1, close).join('\n') });
    i = close;
  }
  return blocks;
}

describe('renderPullRequestComment', () => {
  it('marker first, a table of project × environment, the commit, then each plan folded', () => {
    const body = renderPullRequestComment(
      view({
        targets: [
          target({ project: 'network', environment: 'staging', summary: summary(1), planText: TERRAFORM_TEXT }),
          target({ project: 'network', environment: 'prod', status: 'no_changes', summary: summary(0) }),
        ],
      }),
    );
    expect(body.startsWith(`${PLAN_COMMENT_MARKER}\n`)).toBe(true);
    expect(body).toContain('| project | environment | status | changes |');
    expect(body).toContain('| network | staging | 📋 planned | `+1 ~0 -0` |');
    expect(body).toContain('| network | prod | ✅ no changes | no changes |');
    expect(body).toContain('Commit `0123456` of #7 into `main` by octocat');
    expect(body).toContain(`run [01JRUN](${CONSOLE})`);
    expect(body).toContain('<details><summary>network → staging: +1 ~0 -0</summary>');
    // As the tool printed it, masked values included, in a diff fence.
    expect(fences(body)).toEqual([{ fence: '```', content: TERRAFORM_TEXT }]);
    expect(body).toContain('```diff\n');
    expect(body).toContain('+ password = (sensitive value)');
    expect(body.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('who approved or rejected, and the approval commands when a target waits', () => {
    const body = renderPullRequestComment(
      view({
        kind: 'comment',
        status: 'running',
        targets: [
          target({
            project: 'network',
            environment: 'staging',
            status: 'succeeded',
            summary: summary(1),
            approvals: [{ decision: 'approved', by: 'alice', via: 'github', at: '2026-01-01T10:00:00Z' }],
          }),
          target({ project: 'network', environment: 'prod', status: 'awaiting_approval', summary: summary(1) }),
          target({
            project: 'dns',
            environment: 'prod',
            status: 'rejected',
            approvals: [
              { decision: 'rejected', by: 'bob', via: 'slack', at: '2026-01-01T11:00:00Z', reason: 'not | on @friday' },
            ],
          }),
        ],
      }),
    );
    expect(body).toContain('- network → staging: ✅ approved by alice via github at 2026-01-01T10:00:00Z');
    // Text from people cannot break the Markdown nor mention anyone.
    expect(body).toContain(
      '- dns → prod: 🚫 rejected by bob via slack at 2026-01-01T11:00:00Z: not \\| on @\u200bfriday',
    );
    expect(body).toContain('**Next:** network → prod waits for approval.');
    expect(body).toContain('`/pushgate approve`');
    expect(body).toContain('`pushgate approve 01JRUN`');
  });

  it('text from outside mentions nobody: no @team, and no entity that renders as one', () => {
    const body = renderPullRequestComment(
      view({
        reason: 'ping &#64;acme/everyone and @acme/sre',
        targets: [target({ project: 'a', environment: 'e', status: 'failed', reason: '&#x40;acme/admins <b>hi</b>' })],
      }),
    );
    expect(body).not.toMatch(/&#(64|x40);/i);
    expect(body).not.toMatch(/@acme\//);
    expect(body).not.toContain('<b>');
  });

  it('strips terminal escapes and never lets a plan close its fence', () => {
    const nasty =
      '\u001b[1m\u001b[32m+\u001b[0m resource "x" {\n  description = "```\n</details>\n```"\n  tricky = "````"\n}';
    const body = renderPullRequestComment(
      view({ targets: [target({ project: 'a', environment: 'e', summary: summary(1), planText: nasty })] }),
    );
    expect(body).not.toContain('\u001b');
    const blocks = fences(body);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.fence).toBe('`````');
    expect(blocks[0]!.content).toBe(
      nasty.replaceAll('\u001b[1m', '').replaceAll('\u001b[32m', '').replaceAll('\u001b[0m', ''),
    );
  });

  it('locally the link is a command, shown as code and never as a link', () => {
    const body = renderPullRequestComment(view({ link: 'pushgate run 01JRUN' }));
    expect(body).toContain('run `01JRUN` (`pushgate run 01JRUN`)');
    expect(body).not.toContain('](pushgate');
  });

  it('30 huge plans stay within 65,536 characters: the longest are cut first, each pointing to the full run', () => {
    const targets = Array.from({ length: 30 }, (_, i) =>
      target({
        project: `p${i}`,
        environment: 'prod',
        summary: summary(i),
        // One short plan among long ones of different sizes.
        planText: i === 0 ? 'short plan\n  + one' : hugePlan(`p${i}`, 20_000 + i * 1_000),
      }),
    );
    const body = renderPullRequestComment(view({ targets }));
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    const blocks = fences(body);
    expect(blocks).toHaveLength(30);
    // The short plan is whole; the long ones are cut to about the same size.
    expect(blocks[0]!.content).toBe('short plan\n  + one');
    const cutSizes = blocks.slice(1).map((b) => b.content.length);
    expect(Math.max(...cutSizes) - Math.min(...cutSizes)).toBeLessThan(200);
    expect(body.match(/more characters not shown: the full plan is in \[the run\]\(/g)).toHaveLength(29);
    expect(body.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('a plan that fits is never cut, and a smaller limit cuts only the longest', () => {
    const targets = [
      target({ project: 'small', environment: 'e', summary: summary(1), planText: hugePlan('small', 2_000) }),
      target({ project: 'big', environment: 'e', summary: summary(1), planText: hugePlan('big', 30_000) }),
    ];
    const body = renderPullRequestComment(view({ targets, link: 'pushgate run 01JRUN' }), { maxChars: 12_000 });
    expect(body.length).toBeLessThanOrEqual(12_000);
    const [small, big] = fences(body);
    expect(small!.content).toBe(hugePlan('small', 2_000));
    expect(big!.content.length).toBeLessThan(10_000);
    expect(body).toContain('the full plan is in `pushgate run 01JRUN`');
  });

  it('so many targets that not even their plans fit: the rest are named, the body still fits', () => {
    const targets = Array.from({ length: 400 }, (_, i) =>
      target({ project: `project-${i}`, environment: 'prod', summary: summary(1), planText: hugePlan(`p${i}`, 500) }),
    );
    const body = renderPullRequestComment(view({ targets }), { maxChars: 65_536 });
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toMatch(/_\d+ more plans not shown: see \[the run\]/);
  });
});

describe('renderApprovalCommitComment', () => {
  it('a push waiting: what to approve and how (the CLI, Slack, or the pull request it merged)', () => {
    const body = renderApprovalCommitComment(
      view({
        kind: 'push',
        status: 'running',
        pullRequest: undefined,
        targets: [
          target({ project: 'network', environment: 'staging', status: 'succeeded', summary: summary(1) }),
          target({
            project: 'network',
            environment: 'prod',
            status: 'awaiting_approval',
            summary: summary(1),
            planText: TERRAFORM_TEXT,
          }),
        ],
      }),
    );
    expect(body).toContain('**Waiting for approval:** network → prod');
    expect(body).toContain('`pushgate approve 01JRUN`');
    expect(body).toContain('Slack');
    expect(body).toContain('If this commit merged a pull request, `/pushgate approve` in that pull request works too.');
    // Only the waiting target's plan is shown.
    expect(body).toContain('<details><summary>network → prod: +1 ~0 -0</summary>');
    expect(body).not.toContain('<details><summary>network → staging');
  });
});
