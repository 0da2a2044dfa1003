import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consoleUrl } from '../../../functions/lib/console-url.ts';
import { NotifyError } from '../../../functions/lib/notify/errors.ts';
import { slackRunView } from '../../../functions/lib/notify/slack-message.ts';
import { createSlackNotifier } from '../../../functions/lib/notify/slack-notifier.ts';
import { startSlack, type LocalSlack } from '../../../local/slack/start-slack.ts';
import { EXECUTION_ARN, failedOutcome } from './run-outcome-fixture.ts';

let slack: LocalSlack;

beforeAll(async () => {
  slack = await startSlack();
});

afterAll(async () => {
  await slack?.stop();
});

beforeEach(() => {
  slack.messages.length = 0;
  slack.setDown(false);
  slack.failNext(0);
});

/** Everything a person can read in the posted message. */
const readable = (payload: Record<string, unknown>) => JSON.stringify(payload);

describe('createSlackNotifier (real @slack/webhook over HTTP to a loopback sink)', () => {
  it('posts the outcome: word, repo, branch, environments, sha7, each target with its plan, reason and link', async () => {
    await createSlackNotifier({ webhookUrl: slack.webhookUrl }).notify(failedOutcome);

    expect(slack.messages).toHaveLength(1);
    const { payload } = slack.messages[0]!;
    expect(payload.text).toBe('acme/infra: deploy of main to staging, prod at 0123456 failed');
    const text = readable(payload);
    expect(text).toContain('*acme/infra* deploy of `main` at `0123456` by octocat: *failed*');
    expect(text).toContain(
      '• *network* in *staging*: succeeded. Plan: 2 to add, 1 to change, 1 to destroy. (1 to replace)',
    );
    expect(text).toContain('• *network* in *prod*: failed. Changes to Outputs: vpc_id (apply failed: exit status 1)');
    expect(text).toContain('• *dns* in *prod*: no changes. No changes. Your infrastructure matches the configuration.');
    expect(text).toContain('*Reason:* network/prod: apply failed: exit status 1');
    expect(text).toContain(`<${consoleUrl(EXECUTION_ARN)}|Step Functions execution>`);
    expect(text).not.toMatch(/:[a-z_]+:/); // no emoji codes
  });

  it('escapes text from the run, so a branch or a reason cannot ping a channel or forge a link', async () => {
    await createSlackNotifier({ webhookUrl: slack.webhookUrl }).notify({
      ...failedOutcome,
      branch: '<!channel>',
      reason: 'boom <@U123> & <https://evil.example|click>',
      targets: [],
    });
    const { payload } = slack.messages[0]!;
    expect(payload.text).toBe('acme/infra: deploy of &lt;!channel&gt; at 0123456 failed');
    const text = readable(payload);
    expect(text).toContain('boom &lt;@U123&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U123>');
  });

  it('keeps a run with many targets within the size Slack accepts for a section', async () => {
    const targets = Array.from({ length: 200 }, (_, i) => ({
      project: `project-${i}`,
      environment: 'staging',
      status: 'succeeded' as const,
      summary: { add: 1, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: true },
    }));
    await createSlackNotifier({ webhookUrl: slack.webhookUrl }).notify({ ...failedOutcome, targets });
    const blocks = slack.messages[0]!.payload.blocks as { text?: { text: string } }[];
    const targetsText = blocks[2]!.text!.text;
    expect(targetsText.length).toBeLessThanOrEqual(3000);
    expect(targetsText).toMatch(/\n… and \d+ more targets: see <https:[^>]+\|the run>$/);
  });

  it('posts the approval request without buttons, saying how to approve by comment or CLI', async () => {
    const notifier = createSlackNotifier({ webhookUrl: slack.webhookUrl });
    const view = {
      ...slackRunView(failedOutcome),
      phase: 'awaiting_approval' as const,
      targets: [
        { project: 'network', environment: 'prod', status: 'awaiting_approval' as const, planSha256: 'f'.repeat(64) },
      ],
    };
    await notifier.approvalRequested(view);
    await notifier.approvalRequested({ ...view, targets: [] }); // nothing waits: nothing posted
    expect(slack.messages).toHaveLength(1);
    const text = readable(slack.messages[0]!.payload);
    expect(text).not.toContain('"type":"button"');
    expect(text).toContain(
      'comment `/pushgate approve network prod` on the pull request, or run `pushgate approve run-01HXYZ`',
    );
  });

  it('reports a 5xx as retryable, a 4xx as not, and never quotes the webhook URL', async () => {
    slack.setDown(true);
    const down = await createSlackNotifier({ webhookUrl: slack.webhookUrl })
      .notify(failedOutcome)
      .catch((error: unknown) => error);
    expect(down).toBeInstanceOf(NotifyError);
    expect(down).toMatchObject({ retryable: true, message: 'Slack answered HTTP 500 (internal_error)' });

    slack.setDown(false);
    const revoked = await createSlackNotifier({ webhookUrl: `${slack.url}/revoked/T0/B0/secret-token` })
      .notify(failedOutcome)
      .catch((error: unknown) => error);
    expect(revoked).toMatchObject({ retryable: false, message: 'Slack answered HTTP 404 (no_service)' });
  });

  it('reports an unreachable Slack as retryable, without the URL', async () => {
    // A port that was just free: nothing listens there any more.
    const closed = await startSlack();
    await closed.stop();
    const webhookUrl = `${closed.url}/services/T0/B0/secret-token`;
    const error = await createSlackNotifier({ webhookUrl, timeoutMs: 2000 })
      .notify(failedOutcome)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/^could not reach Slack: fetch failed: .*ECONNREFUSED/);
    expect((error as Error).message).not.toContain('secret-token');
    expect(String((error as Error).cause)).not.toContain('secret-token');
  });
});
