import { IncomingWebhook } from '@slack/webhook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlack, type LocalSlack } from '../../../local/slack/start-slack.ts';

describe('local Slack incoming-webhook sink', () => {
  let slack: LocalSlack;
  const printed: string[] = [];

  beforeAll(async () => {
    slack = await startSlack({ onMessage: (line) => printed.push(line) });
  });
  afterAll(() => slack.stop());

  it('keeps and prints a text message and answers ok', async () => {
    const result = await new IncomingWebhook(slack.webhookUrl).send({
      text: 'run 01H succeeded\nnetwork/prod: +1 ~0 -0',
    });
    expect(result.text).toBe('ok');
    const last = slack.messages.at(-1)!;
    expect(last.payload.text).toBe('run 01H succeeded\nnetwork/prod: +1 ~0 -0');
    expect(last.path).toBe('/services/T00000000/B00000000/local');
    expect(printed.at(-1)).toBe('run 01H succeeded network/prod: +1 ~0 -0');
  });

  it('prints the text of Block Kit messages', async () => {
    await new IncomingWebhook(`${slack.url}/services/A/B/C`).send({
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Deploy failed' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*network*' },
            { type: 'mrkdwn', text: 'prod' },
          ],
        },
      ],
    });
    expect(printed.at(-1)).toBe('Deploy failed | *network* | prod');
  });

  it('rejects a message without text with no_text', async () => {
    const error = await new IncomingWebhook(slack.webhookUrl).send({}).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, body: 'no_text' });
  });

  it('answers 500 while down, and for the next n posts with failNext', async () => {
    const count = slack.messages.length;
    slack.setDown(true);
    await expect(new IncomingWebhook(slack.webhookUrl).send('lost')).rejects.toMatchObject({ statusCode: 500 });
    slack.setDown(false);

    slack.failNext(2);
    const webhook = new IncomingWebhook(slack.webhookUrl, {
      retryConfig: { retries: 2, minTimeout: 1, maxTimeout: 1 },
    });
    const result = await webhook.send('third time lucky');
    expect(result.text).toBe('ok');
    expect(slack.messages.length).toBe(count + 1);
    expect(slack.messages.at(-1)!.line).toBe('third time lucky');
  });
});
