import { createHmac } from 'node:crypto';

/** The two headers Slack signs every request to an app with. */
export interface SlackSignatureHeaders {
  'X-Slack-Signature': string;
  'X-Slack-Request-Timestamp': string;
}

/**
 * Signs a request body as Slack does for an app's Request URL: `v0=` + hex HMAC-SHA256 of
 * `v0:<timestamp>:<body>` with the app's signing secret; the timestamp in Unix seconds (now by
 * default; Slack's receivers refuse one more than five minutes off).
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
export function signSlackRequest(
  secret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'X-Slack-Signature': `v0=${signature}`, 'X-Slack-Request-Timestamp': String(timestamp) };
}

export interface SlackUser {
  id: string;
  username: string;
  name?: string;
  team_id?: string;
}

export interface BlockActionsOptions {
  user: SlackUser;
  /** The pressed element: its `action_id`, `value` and the `block_id` of its block, as in the message. */
  action: { action_id: string; value?: string; block_id: string; text?: unknown; style?: string };
  channel: { id: string; name?: string };
  /** The message the button is in, as Slack stored it (`ts`, `text`, `blocks`, `thread_ts`, …). */
  message: Record<string, unknown> & { ts: string };
  /** Where the app may answer (replace the message, post an ephemeral one) for the next 30 minutes. */
  responseUrl: string;
  teamId?: string;
  apiAppId?: string;
  triggerId?: string;
  /** Unix seconds with microseconds, like a message ts. Default now. */
  actionTs?: string;
}

/** What Slack posts to an app's Request URL when someone presses a button in a message. */
export interface BlockActionsPayload {
  type: 'block_actions';
  user: SlackUser;
  api_app_id: string;
  token: string;
  container: { type: 'message'; message_ts: string; channel_id: string; is_ephemeral: boolean; thread_ts?: string };
  trigger_id: string;
  team: { id: string; domain: string };
  enterprise: null;
  is_enterprise_install: boolean;
  channel: { id: string; name: string };
  message: Record<string, unknown> & { ts: string };
  state: { values: Record<string, never> };
  response_url: string;
  actions: {
    action_id: string;
    block_id: string;
    value?: string;
    type: 'button';
    text?: unknown;
    style?: string;
    action_ts: string;
  }[];
}

/**
 * The `block_actions` interaction payload for one button press, shaped as Slack sends it.
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 */
export function blockActionsPayload(options: BlockActionsOptions): BlockActionsPayload {
  const teamId = options.teamId ?? options.user.team_id ?? 'T00000000';
  const now = Date.now();
  const actionTs = options.actionTs ?? `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`;
  const threadTs = typeof options.message.thread_ts === 'string' ? options.message.thread_ts : undefined;
  return {
    type: 'block_actions',
    user: { ...options.user, team_id: teamId },
    api_app_id: options.apiAppId ?? 'A0PUSHGATE',
    // The deprecated verification token: apps verify the signature instead.
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: options.message.ts,
      channel_id: options.channel.id,
      is_ephemeral: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    trigger_id: options.triggerId ?? `${now}.${teamId}.local`,
    team: { id: teamId, domain: 'pushgate-local' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: options.channel.id, name: options.channel.name ?? options.channel.id },
    message: options.message,
    state: { values: {} },
    response_url: options.responseUrl,
    actions: [
      {
        action_id: options.action.action_id,
        block_id: options.action.block_id,
        ...(options.action.value !== undefined ? { value: options.action.value } : {}),
        type: 'button',
        ...(options.action.text !== undefined ? { text: options.action.text } : {}),
        ...(options.action.style !== undefined ? { style: options.action.style } : {}),
        action_ts: actionTs,
      },
    ],
  };
}

/** The body Slack posts: form-encoded, the JSON in one `payload` field. */
export function blockActionsBody(payload: BlockActionsPayload): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A signed interaction request, ready for `fetch(actionsUrl, { method: 'POST', headers, body })`. */
export function signedBlockActions(
  secret: string,
  payload: BlockActionsPayload,
  timestamp?: number,
): { body: string; headers: Record<string, string> } {
  const body = blockActionsBody(payload);
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(secret, body, timestamp),
    },
  };
}
