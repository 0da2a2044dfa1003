import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotifyError } from '../../../functions/lib/notify/errors.ts';
import { APPROVE_ACTION_ID, checkSlackLimits, type SlackRunView } from '../../../functions/lib/notify/slack-blocks.ts';
import {
  createSlackBotNotifier,
  slackChannelsFor,
  type SlackBotNotifierOptions,
  type SlackMessageStore,
} from '../../../functions/lib/notify/slack-bot-notifier.ts';
import { slackRunView } from '../../../functions/lib/notify/slack-message.ts';
import { startSlack, type LocalSlack } from '../../../local/slack/start-slack.ts';
import { failedOutcome } from './run-outcome-fixture.ts';

let slack: LocalSlack;

beforeAll(async () => {
  slack = await startSlack({ channels: ['C0DEPLOYS', 'C0PROD', 'C0OTHER'] });
});

afterAll(async () => {
  await slack?.stop();
});

beforeEach(() => {
  slack.messages.length = 0;
  slack.setDown(false);
  slack.failNext(0);
  slack.rateLimitNext(0, 0);
});

function memoryStore(): SlackMessageStore & { saved: Record<string, Record<string, string>> } {
  const saved: Record<string, Record<string, string>> = {};
  return {
    saved,
    getSlackMessages: async (runId) => ({ ...saved[runId] }),
    recordSlackMessage: async (runId, channel, ts) => {
      saved[runId] = { ...saved[runId], [channel]: ts };
    },
  };
}

const finished: SlackRunView = slackRunView(failedOutcome, {
  startedAt: '2026-01-01T10:00:00Z',
  endedAt: '2026-01-01T10:02:00Z',
});
const started: SlackRunView = {
  ...finished,
  status: 'running',
  reason: undefined,
  targets: finished.targets.map((target) => ({ ...target, status: 'queued', summary: undefined, reason: undefined })),
};
const awaiting: SlackRunView = {
  ...started,
  targets: [
    { ...finished.targets[0]!, status: 'succeeded' },
    { ...finished.targets[1]!, status: 'awaiting_approval', reason: undefined, planSha256: 'b'.repeat(64) },
    { ...finished.targets[2]!, status: 'no_changes' },
  ],
};

function notifier(options: Partial<SlackBotNotifierOptions> = {}) {
  const store = memoryStore();
  return {
    store,
    bot: createSlackBotNotifier({
      token: slack.botToken,
      slackApiUrl: slack.apiUrl,
      channels: { default: 'C0DEPLOYS' },
      store,
      ...options,
    }),
  };
}

describe('createSlackBotNotifier (real @slack/web-api against the local Slack)', () => {
  it('posts once when the run starts, updates that message in place, and replies in its thread', async () => {
    const { bot, store } = notifier();
    await bot.runStarted(started);
    expect(slack.messages).toHaveLength(1);
    const parent = slack.messages[0]!;
    expect(parent).toMatchObject({ source: 'api', channel: 'C0DEPLOYS', updates: 0 });
    expect(parent.payload.text).toBe('acme/infra: deploy of main to staging, prod at 0123456 started');
    expect(store.saved[started.runId]).toEqual({ C0DEPLOYS: parent.ts });

    await bot.approvalRequested(awaiting);
    expect(parent.updates).toBe(1);
    expect(parent.payload.text).toBe('acme/infra: deploy of main to staging, prod at 0123456 awaiting approval');
    const request = slack.messages[1]!;
    expect(request.threadTs).toBe(parent.ts);
    expect(request.payload.text).toBe('acme/infra: 1 target of main at 0123456 waits for approval');
    const payload = slack.buttonPress({ ts: request.ts, actionId: APPROVE_ACTION_ID });
    expect(JSON.parse(payload.actions[0]!.value!)).toEqual({
      runId: started.runId,
      project: 'network',
      environment: 'prod',
      planSha256: 'b'.repeat(64),
    });

    await bot.runFinished(finished);
    expect(parent.updates).toBe(2);
    expect(parent.payload.text).toBe('acme/infra: deploy of main to staging, prod at 0123456 failed');
    expect(JSON.stringify(parent.payload.blocks)).toContain('Took 2m 00s');
    const details = slack.messages[2]!;
    expect(details.threadTs).toBe(parent.ts);
    expect(JSON.stringify(details.payload.blocks)).toContain(
      '• *network* in *staging*: succeeded. Plan: 2 to add, 1 to change, 1 to destroy. (1 to replace)',
    );
    // Three messages in all: one in the channel, two in its thread.
    expect(slack.messages.map((message) => message.threadTs ?? 'parent')).toEqual(['parent', parent.ts, parent.ts]);
    for (const message of slack.messages) expect(checkSlackLimits(message.payload)).toEqual([]);
  });

  it('as a Notifier: one message at the end, posted once even when called again', async () => {
    const { bot } = notifier();
    expect(bot.channel).toBe('slack');
    await bot.notify(failedOutcome);
    await bot.notify(failedOutcome);
    const parents = slack.messages.filter((message) => !message.threadTs);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.updates).toBe(1);
  });

  it('posts to each environment channel its own targets, the default channel the rest', async () => {
    const { bot, store } = notifier({ channels: { default: 'C0DEPLOYS', byEnvironment: { prod: 'C0PROD' } } });
    await bot.runStarted(started);
    await bot.runFinished(finished);
    const parents = slack.messages.filter((message) => !message.threadTs);
    expect(parents.map((message) => message.channel).sort()).toEqual(['C0DEPLOYS', 'C0PROD']);
    expect(Object.keys(store.saved[finished.runId]!).sort()).toEqual(['C0DEPLOYS', 'C0PROD']);
    const prod = parents.find((message) => message.channel === 'C0PROD')!;
    expect(prod.payload.text).toBe('acme/infra: deploy of main to prod at 0123456 failed');
    expect(JSON.stringify(prod.payload.blocks)).not.toContain('staging');
    expect(prod.updates).toBe(1);
  });

  it('slackChannelsFor: a run without targets goes to the default channel', () => {
    expect([...slackChannelsFor([], { default: 'C0DEPLOYS' }).keys()]).toEqual(['C0DEPLOYS']);
  });

  it('waits out a 429 as Retry-After says, then succeeds', async () => {
    const { bot } = notifier();
    slack.rateLimitNext(1, 1);
    const start = Date.now();
    await bot.runStarted(started);
    expect(Date.now() - start).toBeGreaterThanOrEqual(950);
    expect(slack.messages).toHaveLength(1);
  });

  it('gives up on a 429 past its bounds, retryable', async () => {
    const { bot } = notifier({ rateLimitRetries: 1, maxRetryAfterSeconds: 5 });
    slack.rateLimitNext(1, 60); // longer than the notifier waits
    const tooLong = await bot.runStarted(started).catch((error: unknown) => error);
    expect(tooLong).toBeInstanceOf(NotifyError);
    expect(tooLong).toMatchObject({
      retryable: true,
      message: 'Slack rate-limited chat.postMessage (Retry-After: 60 s)',
    });

    const waits: number[] = [];
    const counted = notifier({ rateLimitRetries: 1, sleep: async (ms) => void waits.push(ms) });
    slack.rateLimitNext(3, 2);
    const tooMany = await counted.bot.runStarted(started).catch((error: unknown) => error);
    expect(tooMany).toMatchObject({ retryable: true });
    expect(waits).toEqual([2000]);
    expect(slack.messages).toHaveLength(0);
  });

  it('reports a wrong token as a non-retryable NotifyError that never quotes the token', async () => {
    const token = 'xoxb-secret-0000-wrong';
    const { bot } = notifier({ token });
    const error = await bot.runStarted(started).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotifyError);
    expect(error).toMatchObject({ retryable: false, message: 'Slack refused chat.postMessage: invalid_auth' });
    expect(JSON.stringify(error)).not.toContain(token);
    expect(String((error as Error).stack)).not.toContain(token);
  });

  it('reports an unknown channel as not retryable, an outage and an unreachable Slack as retryable, without the token', async () => {
    const missing = await notifier({ channels: { default: 'C0NOWHERE' } })
      .bot.runStarted(started)
      .catch((error: unknown) => error);
    expect(missing).toMatchObject({ retryable: false, message: 'Slack refused chat.postMessage: channel_not_found' });

    slack.setDown(true);
    const down = await notifier({ retries: 0 })
      .bot.runStarted(started)
      .catch((error: unknown) => error);
    expect(down).toMatchObject({
      retryable: true,
      message: 'Slack answered HTTP 500 to chat.postMessage (internal_error)',
    });
    slack.setDown(false);

    const closed = await startSlack();
    await closed.stop();
    const unreachable = await notifier({ slackApiUrl: closed.apiUrl, retries: 0, timeoutMs: 2000 })
      .bot.runStarted(started)
      .catch((error: unknown) => error);
    expect(unreachable).toMatchObject({ retryable: true });
    expect((unreachable as Error).message).toMatch(/^could not reach Slack for chat.postMessage: /);
    expect(JSON.stringify(unreachable)).not.toContain(slack.botToken);
  });

  describe('the approval request after the decision', () => {
    const APPROVED_AT = '2026-01-01T10:01:30.000Z';
    const approvedView: SlackRunView = {
      ...finished,
      targets: finished.targets.map((target, index) =>
        index === 1
          ? {
              ...target,
              status: 'succeeded',
              reason: undefined,
              approvals: [{ decision: 'approved', by: 'alice', via: 'slack', at: APPROVED_AT }],
            }
          : target,
      ),
    };
    const blocksOf = (message: { payload: { blocks?: unknown } }) => JSON.stringify(message.payload.blocks);
    const hasButtons = (message: { payload: { blocks?: unknown } }) =>
      ((message.payload.blocks ?? []) as { type: string }[]).some((block) => block.type === 'actions');

    it('shows who decided, via what and when, without buttons, once the run finished', async () => {
      const { bot, store } = notifier();
      await bot.runStarted(started);
      await bot.approvalRequested(awaiting);
      const request = slack.messages[1]!;
      expect(hasButtons(request)).toBe(true);
      expect(store.saved[started.runId]).toEqual({
        C0DEPLOYS: slack.messages[0]!.ts,
        'C0DEPLOYS#approval': request.ts,
      });

      await bot.runFinished(approvedView);
      expect(request.updates).toBe(1);
      expect(hasButtons(request)).toBe(false);
      expect(request.payload.text).toBe('acme/infra: approval of main at 0123456 decided');
      expect(blocksOf(request)).toContain('*network* in *prod*: approved by alice via Slack at 2026-01-01 10:01 UTC');
      expect(checkSlackLimits(request.payload)).toEqual([]);
      // Still one request and one details reply in the thread: nothing new was posted for it.
      expect(slack.messages).toHaveLength(3);
    });

    it('says the request expired when nobody decided', async () => {
      const { bot } = notifier();
      await bot.runStarted(started);
      await bot.approvalRequested(awaiting);
      const request = slack.messages[1]!;
      const expired: SlackRunView = {
        ...finished,
        targets: finished.targets.map((target, index) =>
          index === 1 ? { ...target, status: 'expired', reason: undefined } : target,
        ),
      };
      await bot.runFinished(expired);
      expect(hasButtons(request)).toBe(false);
      expect(request.payload.text).toBe('acme/infra: approval of main at 0123456 expired');
      expect(blocksOf(request)).toContain('*network* in *prod*: expired: nobody decided in time');
    });

    it('closes an earlier request when a later one is posted: superseded, its decisions kept', async () => {
      const { bot, store } = notifier();
      await bot.runStarted(started);
      await bot.approvalRequested(awaiting);
      const first = slack.messages[1]!;
      // The same run asks again (another wait): the first request's buttons must not stay.
      await bot.approvalRequested(awaiting);
      const second = slack.messages.at(-1)!;
      expect(second.ts).not.toBe(first.ts);
      expect(hasButtons(first)).toBe(false);
      expect(hasButtons(second)).toBe(true);
      expect(blocksOf(first)).toContain('superseded by a newer approval request in this thread');
      expect(store.saved[started.runId]!['C0DEPLOYS#approval']).toBe(second.ts);
    });

    it('does not fail the run finishing when the request message is gone', async () => {
      const { bot, store } = notifier();
      await bot.runStarted(started);
      await store.recordSlackMessage(started.runId, 'C0DEPLOYS#approval', '1.000009');
      await expect(bot.runFinished(approvedView)).resolves.toBeUndefined();
    });
  });

  it('posts a new message when the stored one was deleted', async () => {
    const { bot, store } = notifier();
    await store.recordSlackMessage(started.runId, 'C0DEPLOYS', '1.000001');
    await bot.runFinished(finished);
    const parents = slack.messages.filter((message) => !message.threadTs);
    expect(parents).toHaveLength(1);
    expect(store.saved[started.runId]).toEqual({ C0DEPLOYS: parents[0]!.ts });
  });
});
