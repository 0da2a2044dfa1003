import { createHmac } from 'node:crypto';
import { IncomingWebhook } from '@slack/webhook';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  APPROVE_ACTION_ID,
  slackApprovalRequest,
  type SlackRunView,
} from '../../../functions/lib/notify/slack-blocks.ts';
import { slackRunView } from '../../../functions/lib/notify/slack-message.ts';
import { listenOnLoopback, readBody, type LoopbackServer } from '../../../local/http/loopback-server.ts';
import { signSlackRequest } from '../../../local/slack/slack-interactions.ts';
import {
  SLACK_MESSAGES_PATH,
  SLACK_RATE_LIMIT_PATH,
  startSlack,
  type LocalSlack,
  type SlackMessage,
} from '../../../local/slack/start-slack.ts';
import { failedOutcome } from '../../unit/notify/run-outcome-fixture.ts';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('local Slack Web API', () => {
  let slack: LocalSlack;
  let client: WebClient;
  const printed: string[] = [];

  beforeAll(async () => {
    slack = await startSlack({ botToken: 'xoxb-test-token', onMessage: (line) => printed.push(line) });
    client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(() => slack.stop());
  beforeEach(() => {
    slack.messages.length = 0;
    slack.rateLimitNext(0, 0);
  });

  /** A raw call, to see Slack's HTTP answer as it is. */
  async function raw(method: string, body: string, headers: Record<string, string>) {
    const response = await fetch(`${slack.apiUrl}${method}`, { method: 'POST', headers, body });
    return {
      status: response.status,
      headers: response.headers,
      json: (await response.json()) as Record<string, unknown>,
    };
  }

  it('auth.test answers for the bot token; a missing or wrong token is an HTTP 200 ok:false', async () => {
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, team_id: 'T00000000', bot_id: 'B0PUSHGATE' });
    expect(await raw('auth.test', '', { 'content-type': 'application/x-www-form-urlencoded' })).toMatchObject({
      status: 200,
      json: { ok: false, error: 'not_authed' },
    });
    expect(
      await raw('auth.test', '', { 'content-type': 'application/json', authorization: 'Bearer xoxb-wrong' }),
    ).toMatchObject({ status: 200, json: { ok: false, error: 'invalid_auth' } });
    await expect(new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl }).auth.test()).rejects.toMatchObject({
      data: { error: 'invalid_auth' },
    });
  });

  it('takes JSON bodies with a Bearer token and form bodies with a token field', async () => {
    const json = await raw(
      'chat.postMessage',
      JSON.stringify({ channel: 'C1', text: 'json', blocks: [section('hi')] }),
      {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${slack.botToken}`,
      },
    );
    expect(json).toMatchObject({ status: 200, json: { ok: true, channel: 'C1' } });
    const form = await raw(
      'chat.postMessage',
      new URLSearchParams({
        token: slack.botToken,
        channel: 'C1',
        text: 'form',
        blocks: JSON.stringify([section('x')]),
      }).toString(),
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(form.json).toMatchObject({ ok: true });
    expect(slack.messages.map((message) => message.payload.text)).toEqual(['json', 'form']);
    expect(slack.messages[1]!.payload.blocks).toEqual([section('x')]);
    expect(Number(slack.messages[1]!.ts)).toBeGreaterThan(Number(slack.messages[0]!.ts));
  });

  it('refuses more than 50 blocks, a section past 3,000 characters, and no text at all, as Slack does', async () => {
    const tooMany = await client.chat
      .postMessage({ channel: 'C1', text: 'x', blocks: Array.from({ length: 51 }, () => section('b')) })
      .catch((error: unknown) => error);
    expect(tooMany).toMatchObject({
      data: {
        ok: false,
        error: 'invalid_blocks',
        response_metadata: { messages: ['[ERROR] blocks: 51 blocks, Slack allows 50 in a message'] },
      },
    });
    await expect(
      client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('y'.repeat(3001))] }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await expect(client.chat.postMessage({ channel: 'C1', text: '' })).rejects.toMatchObject({
      data: { error: 'no_text' },
    });
    expect(slack.messages).toEqual([]);

    const webhook = await new IncomingWebhook(slack.webhookUrl)
      .send({ text: 'x', blocks: Array.from({ length: 51 }, () => section('b')) })
      .catch((error: unknown) => error);
    expect(webhook).toMatchObject({ statusCode: 400, body: 'invalid_blocks' });
  });

  it('applies chat.update in place; an unknown ts or channel is refused', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'run started', blocks: [section('started')] });
    await client.chat.postMessage({ channel: 'C1', thread_ts: posted.ts!, text: 'details' });
    await client.chat.update({ channel: 'C1', ts: posted.ts!, text: 'run finished', blocks: [section('finished')] });
    expect(slack.messages).toHaveLength(2);
    expect(slack.messages[0]).toMatchObject({
      channel: 'C1',
      ts: posted.ts,
      updates: 1,
      payload: { text: 'run finished', blocks: [section('finished')] },
      line: 'run finished',
    });
    expect(slack.messages[1]).toMatchObject({ threadTs: posted.ts, payload: { text: 'details' } });
    expect(printed.slice(-3)).toEqual(['run started', 'details', 'run finished']);

    await expect(client.chat.update({ channel: 'C1', ts: '1.000000', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    await expect(client.chat.update({ channel: 'C2', ts: posted.ts!, text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    await expect(
      client.chat.update({
        channel: 'C1',
        ts: posted.ts!,
        text: 'x',
        blocks: Array.from({ length: 51 }, () => section('b')),
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    expect(slack.messages[0]!.updates).toBe(1);
  });

  it('answers channel_not_found for a channel it does not know, when given its channels', async () => {
    const strict = await startSlack({ channels: ['C0KNOWN'] });
    try {
      const strictClient = new WebClient(strict.botToken, { slackApiUrl: strict.apiUrl });
      await expect(strictClient.chat.postMessage({ channel: 'C0KNOWN', text: 'ok' })).resolves.toMatchObject({
        ok: true,
      });
      await expect(strictClient.chat.postMessage({ channel: 'C0OTHER', text: 'no' })).rejects.toMatchObject({
        data: { error: 'channel_not_found' },
      });
    } finally {
      await strict.stop();
    }
  });

  it('rate-limits on demand with 429 and Retry-After, also from outside', async () => {
    slack.rateLimitNext(1, 7);
    const limited = await raw('auth.test', '', { authorization: `Bearer ${slack.botToken}` });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.json).toEqual({ ok: false, error: 'ratelimited' });
    expect((await raw('auth.test', '', { authorization: `Bearer ${slack.botToken}` })).status).toBe(200);

    const control = await fetch(`${slack.url}${SLACK_RATE_LIMIT_PATH}`, {
      method: 'POST',
      body: JSON.stringify({ count: 1, seconds: 3 }),
    });
    expect(await control.json()).toEqual({ count: 1, seconds: 3 });
    const rejecting = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true });
    await expect(rejecting.auth.test()).rejects.toMatchObject({ retryAfter: 3 });
  });

  it('serves its messages over HTTP, all or one channel', async () => {
    await client.chat.postMessage({ channel: 'C1', text: 'one' });
    await client.chat.postMessage({ channel: 'C2', text: 'two' });
    const all = (await (await fetch(`${slack.url}${SLACK_MESSAGES_PATH}`)).json()) as { messages: SlackMessage[] };
    expect(all.messages.map((message) => message.payload.text)).toEqual(['one', 'two']);
    const c2 = (await (await fetch(`${slack.url}${SLACK_MESSAGES_PATH}?channel=C2`)).json()) as {
      messages: SlackMessage[];
    };
    expect(c2.messages.map((message) => message.payload.text)).toEqual(['two']);
  });
});

describe('local Slack interactions: signed button presses and response URLs', () => {
  let slack: LocalSlack;
  let app: LoopbackServer;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  beforeAll(async () => {
    slack = await startSlack({ signingSecret: 'test-signing-secret' });
    // A stand-in for pushgate's /slack/actions: keeps what it got and answers 200.
    app = await listenOnLoopback((req, res) => {
      void readBody(req).then((body) => {
        received.push({ headers: req.headers, body: body.toString('utf8') });
        res.writeHead(200).end();
      });
    });
  });
  afterAll(async () => {
    await app.stop();
    await slack.stop();
  });

  it('signSlackRequest is v0 HMAC-SHA256 of v0:<ts>:<body>', () => {
    const expected = createHmac('sha256', 's3cret').update('v0:1531420618:a=b').digest('hex');
    expect(signSlackRequest('s3cret', 'a=b', 1531420618)).toEqual({
      'X-Slack-Signature': `v0=${expected}`,
      'X-Slack-Request-Timestamp': '1531420618',
    });
  });

  it('presses an Approve button: a signed, form-encoded block_actions payload with the button value', async () => {
    const view: SlackRunView = {
      ...slackRunView(failedOutcome),
      phase: 'awaiting_approval',
      targets: [{ project: 'network', environment: 'prod', status: 'awaiting_approval', planSha256: 'c'.repeat(64) }],
    };
    const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl });
    const posted = await client.chat.postMessage({ channel: 'C1', ...slackApprovalRequest(view) });

    const answer = await slack.pressButton({
      ts: posted.ts!,
      actionId: APPROVE_ACTION_ID,
      user: { id: 'U1', username: 'octocat' },
      actionsUrl: `${app.url}/slack/actions`,
    });
    expect(answer.status).toBe(200);
    const { headers, body } = received.at(-1)!;
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const timestamp = String(headers['x-slack-request-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const expected = createHmac('sha256', 'test-signing-secret').update(`v0:${timestamp}:${body}`).digest('hex');
    expect(headers['x-slack-signature']).toBe(`v0=${expected}`);

    const payload = JSON.parse(new URLSearchParams(body).get('payload')!);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U1', username: 'octocat' },
      channel: { id: 'C1' },
      container: { type: 'message', message_ts: posted.ts, channel_id: 'C1' },
      message: { ts: posted.ts, text: slackApprovalRequest(view).text },
      actions: [{ action_id: APPROVE_ACTION_ID, block_id: 'pushgate_approval_0', type: 'button' }],
    });
    expect(JSON.parse(payload.actions[0].value)).toEqual({
      runId: view.runId,
      project: 'network',
      environment: 'prod',
      planSha256: 'c'.repeat(64),
    });
    expect(payload.response_url).toMatch(new RegExp(`^${slack.url}/`));

    // The app answers through response_url: an ephemeral note, then the message replaced, then deleted.
    const respond = (body: unknown) =>
      fetch(payload.response_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await respond({ text: 'Only you can see this' })).status).toBe(200);
    expect(slack.messages.at(-1)).toMatchObject({
      source: 'response_url',
      responseType: 'ephemeral',
      channel: 'C1',
      payload: { text: 'Only you can see this' },
    });
    expect(
      (await respond({ replace_original: true, text: 'Approved by octocat', blocks: [section('Approved')] })).status,
    ).toBe(200);
    const original = slack.messages.find((message) => message.ts === posted.ts)!;
    expect(original).toMatchObject({
      updates: 1,
      payload: { text: 'Approved by octocat', blocks: [section('Approved')] },
    });
    expect((await respond({ delete_original: true })).status).toBe(200);
    expect(original.deleted).toBe(true);
    expect((await fetch(`${slack.url}/_local/response/unknown`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('can sign with another secret (a forged press) and names a missing button', async () => {
    const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl });
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'no buttons here' });
    expect(() => slack.buttonPress({ ts: posted.ts!, actionId: APPROVE_ACTION_ID })).toThrow(
      `message ${posted.ts} has no pushgate_approve button`,
    );
  });
});
