import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { APPROVE_ACTION_ID, checkSlackLimits } from '../../../functions/lib/notify/slack-blocks.ts';
import { lockPk, UNLOCK_SK_PREFIX } from '../../../functions/lib/store/keys.ts';
import type { UnlockRecord } from '../../../functions/lib/store/types.ts';
import { blockActionsPayload, signedBlockActions } from '../../../local/slack/slack-interactions.ts';
import { SLACK_RESPONSE_URL_PATH, type SlackMessage } from '../../../local/slack/start-slack.ts';
import { userEnv } from '../../helpers/dev-process.ts';
import type { DevSession } from './dev-session.ts';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));

/** Every message the dev's local Slack kept (as they are now: updates apply in place). */
export async function slackMessages(session: DevSession): Promise<SlackMessage[]> {
  const response = await fetch(session.dev.info.slack.messagesUrl);
  if (!response.ok) throw new Error(`GET ${session.dev.info.slack.messagesUrl}: ${response.status}`);
  return ((await response.json()) as { messages: SlackMessage[] }).messages;
}

/** Each message that breaks one of Slack's limits, with its problems: [] when Slack takes them all. */
export async function slackLimitViolations(session: DevSession): Promise<{ line: string; problems: string[] }[]> {
  return (await slackMessages(session))
    .map((message) => ({ line: message.line, problems: checkSlackLimits(message.payload) }))
    .filter((checked) => checked.problems.length > 0);
}

/** An Approve button as the message holds it, with the message it is in. */
export interface ApproveButton {
  message: SlackMessage;
  blockId: string;
  value: string;
}

/** The Approve button of `runId`'s `environment` in the Slack approval request, once it is there. */
export async function approveButton(session: DevSession, runId: string, environment: string): Promise<ApproveButton> {
  return session.aws.waitFor(`the Slack approval request of ${runId} (${environment})`, async () => {
    for (const message of await slackMessages(session)) {
      const blocks = Array.isArray(message.payload.blocks) ? (message.payload.blocks as Record<string, unknown>[]) : [];
      for (const block of blocks) {
        if (block.type !== 'actions' || !Array.isArray(block.elements)) continue;
        for (const element of block.elements as Record<string, unknown>[]) {
          if (element.action_id !== APPROVE_ACTION_ID || typeof element.value !== 'string') continue;
          const value = JSON.parse(element.value) as { runId?: string; environment?: string };
          if (value.runId === runId && value.environment === environment)
            return { message, blockId: String(block.block_id), value: element.value };
        }
      }
    }
    return undefined;
  });
}

export interface PressOptions {
  /** The presser's Slack user id. */
  user: string;
  actionId?: string;
  /** The button's value instead of the message's (a tampered button). */
  value?: string;
  /** Sign with this secret instead of the app's (a forged request). */
  secret?: string;
  /** Unix seconds to sign with (a replayed request); default now. */
  timestamp?: number;
}

/** What pressing a button got: the HTTP answer, and the response_url the payload carried. */
export interface Pressed {
  status: number;
  body: { text?: string; error?: string; response_type?: string };
  /** Where pushgate is to answer the presser (Slack shows only what is posted there). */
  responseUrl: string;
}

/** A fresh response URL of the local Slack for an interaction on `message`, as Slack hands one out per press. */
async function responseUrlFor(session: DevSession, message: SlackMessage): Promise<string> {
  const url = `${new URL(session.dev.info.slack.messagesUrl).origin}${SLACK_RESPONSE_URL_PATH}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel: message.channel, ts: message.ts }),
  });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status}`);
  return ((await response.json()) as { response_url: string }).response_url;
}

/** The messages pushgate posted to the response_url of `pressed` (what the presser sees), oldest first. */
export async function responseUrlReplies(session: DevSession, pressed: Pressed): Promise<SlackMessage[]> {
  const path = new URL(pressed.responseUrl).pathname;
  return (await slackMessages(session)).filter((message) => message.source === 'response_url' && message.path === path);
}

/** Presses `button` as Slack would: a signed form POST of a `block_actions` payload to `slack.actionsUrl`. */
export async function pressButton(session: DevSession, button: ApproveButton, options: PressOptions): Promise<Pressed> {
  const { slack } = session.dev.info;
  const { message } = button;
  const responseUrl = await responseUrlFor(session, message);
  const payload = blockActionsPayload({
    user: { id: options.user, username: options.user.toLowerCase() },
    action: {
      action_id: options.actionId ?? APPROVE_ACTION_ID,
      block_id: button.blockId,
      value: options.value ?? button.value,
    },
    channel: { id: message.channel },
    message: {
      type: 'message',
      ...message.payload,
      ts: message.ts,
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    },
    responseUrl,
  });
  const { body, headers } = signedBlockActions(options.secret ?? slack.signingSecret, payload, options.timestamp);
  const response = await fetch(slack.actionsUrl, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Pressed['body'], responseUrl };
}

/** The `UNLOCK#` audit items of a lock (who unlocked it, when, and which run held it). */
export async function unlocksOf(
  session: DevSession,
  key: { project: string; environment: string },
): Promise<UnlockRecord[]> {
  const { Items } = await session.aws.dynamo.send(
    new QueryCommand({
      TableName: session.dev.info.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': lockPk({ repo: session.dev.info.repo, ...key }),
        ':prefix': UNLOCK_SK_PREFIX,
      },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []) as UnlockRecord[];
}

/** `node cli/bin.js <args>` from the repository root with `pushgate dev`'s exports as its environment. */
export async function runCli(
  session: DevSession,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...userEnv(), ...session.dev.info.exports, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
