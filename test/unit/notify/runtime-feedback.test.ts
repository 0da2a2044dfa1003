import { afterEach, describe, expect, it, vi } from 'vitest';
import { runtimeFeedback } from '../../../functions/lib/runtime/feedback.ts';

// Which channels a function's environment configures (functions/lib/runtime/feedback.ts). Local mode,
// so secrets come from variables; nothing is sent: only the configuration is read.

const logger = { warn: vi.fn() };

function environment(values: Record<string, string>) {
  for (const name of [
    'SLACK_BOT_TOKEN',
    'SLACK_BOT_TOKEN_PARAMETER',
    'SLACK_WEBHOOK_URL',
    'SLACK_WEBHOOK_URL_PARAMETER',
    'SLACK_CHANNELS',
    'GITHUB_TOKEN',
    'GITHUB_TOKEN_PARAMETER',
    'GITHUB_APP_ID',
    'GITHUB_APP_PRIVATE_KEY',
    'GITHUB_APP_SECRET',
  ])
    vi.stubEnv(name, '');
  vi.stubEnv('PUSHGATE_LOCAL', '1');
  vi.stubEnv('TABLE_NAME', 'pushgate-test');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
}

afterEach(() => {
  vi.unstubAllEnvs();
  logger.warn.mockReset();
});

describe('runtimeFeedback: which channels are configured', () => {
  it('an incoming webhook alone is Slack (the bot token is optional)', async () => {
    environment({ SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/services/T/B/x', SLACK_CHANNELS: '{"default":""}' });
    const feedback = await runtimeFeedback(logger);
    expect(feedback.channels).toEqual(['slack']);
    expect(feedback.unconfigured.github).toMatch(/not configured/);
  });

  it('a bot token without a default channel falls back to the webhook, and says what to set', async () => {
    environment({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_CHANNELS: '{"default":""}',
      SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/services/T/B/x',
    });
    const feedback = await runtimeFeedback(logger);
    expect(feedback.channels).toEqual(['slack']);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('slackChannels'), {});
  });

  it('nothing configured: Slack and GitHub are recorded as not configured, with why', async () => {
    environment({});
    const feedback = await runtimeFeedback(logger);
    expect(feedback.channels).toEqual([]);
    expect(feedback.unconfigured.slack).toMatch(/SLACK_BOT_TOKEN_PARAMETER nor SLACK_WEBHOOK_URL_PARAMETER/);
  });

  it('a token and a bot with a channel: GitHub and Slack', async () => {
    environment({ GITHUB_TOKEN: 'ghp_test', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_CHANNELS: '{"default":"C0TEST"}' });
    const feedback = await runtimeFeedback(logger);
    expect(feedback.channels).toEqual(['github', 'slack']);
  });
});
