import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkSlackLimits, SLACK_LIMITS } from '../../functions/lib/notify/slack-blocks.ts';
import { checkHost } from '../aws/verify-request.ts';
import { listenOnLoopback, readBody, sendJson } from '../http/loopback-server.ts';
import {
  blockActionsPayload,
  signedBlockActions,
  type BlockActionsPayload,
  type SlackUser,
} from './slack-interactions.ts';

/**
 * The sink's own control route, for tests that drive `pushgate dev` from outside its process:
 * `POST /_pushgate/down` with `{ "down": true }` starts an outage (as `setDown(true)`), `{ "down": false }`
 * ends it; the answer is `{ "down": <now> }`. It lives outside `/services/`, so no Slack client reaches it.
 */
export const SLACK_CONTROL_PATH = '/_pushgate/down';
/** `GET` → `{ messages }`, every kept message (`?channel=C…` for one channel's). */
export const SLACK_MESSAGES_PATH = '/_local/messages';
/** `POST { "count": n, "seconds": s }`: as `rateLimitNext(n, s)`, from outside the process. */
export const SLACK_RATE_LIMIT_PATH = '/_local/rate-limit';
/**
 * `POST { "channel": "C…", "ts": "…" }` → `{ "response_url": … }`: a response URL for an interaction on
 * that message, as `responseUrl(channel, ts)`, for tests that press buttons from outside the process.
 */
export const SLACK_RESPONSE_URL_PATH = '/_local/response-url';
/** Response URLs handed out in interaction payloads live under this path. */
const RESPONSE_PATH = '/_local/response/';
/** The channel incoming-webhook messages land in. */
export const WEBHOOK_CHANNEL = 'C0WEBHOOK0';

export interface SlackMessage {
  /** The webhook path (`/services/T000/B000/XXXX`), the API method path (`/api/chat.postMessage`) or the response URL path. */
  path: string;
  /** The message as it is now (text, blocks, …): chat.update and `replace_original` change it in place. */
  payload: Record<string, unknown>;
  /** The message as one readable line: its text, else the text of its blocks and attachments. */
  line: string;
  receivedAt: string;
  /** How it came: an incoming webhook, the Web API (bot token) or a POST to an interaction's response_url. */
  source: 'webhook' | 'api' | 'response_url';
  channel: string;
  ts: string;
  /** Set for a reply in a thread: the parent's ts. */
  threadTs?: string;
  /** How many times chat.update (or a response_url `replace_original`) changed it, and when last. */
  updates: number;
  updatedAt?: string;
  /** For a response_url post: `ephemeral` (only the presser sees it, Slack's default) or `in_channel`. */
  responseType?: 'ephemeral' | 'in_channel';
  /** Removed by a response_url `delete_original`. */
  deleted?: boolean;
}

export interface StartSlackOptions {
  port?: number;
  /** Called for each accepted message and each update of one, e.g. to print it in `pushgate dev`. */
  onMessage?: (line: string, message: SlackMessage) => void;
  /** The bot token the Web API accepts (`Authorization: Bearer …`). Default: a random `xoxb-local-…`. */
  botToken?: string;
  /** The app's signing secret, for signing interaction payloads. Default: random. */
  signingSecret?: string;
  /** Channel IDs that exist; others are `channel_not_found`. Default: every channel exists. */
  channels?: string[];
}

export interface PressButtonOptions {
  /** The ts of the message with the button. */
  ts: string;
  /** Its channel; default: the first kept message with that ts. */
  channel?: string;
  actionId: string;
  /** Which of the buttons with that action_id (several targets each have an Approve). Default: the first. */
  blockId?: string;
  user?: SlackUser;
  /** pushgate's interactivity Request URL (`/slack/actions`). */
  actionsUrl: string;
  /** Unix seconds to sign with (default now): an old one tests replay protection. */
  timestamp?: number;
  /** Signs with this instead of the signing secret: tests a forged request. */
  secret?: string;
}

export interface LocalSlack {
  /** `http://127.0.0.1:<port>`; post to `${url}/services/…` (see `webhookUrl`). */
  url: string;
  /** A ready-made incoming-webhook URL on this sink. */
  webhookUrl: string;
  /** The Web API base for `new WebClient(token, { slackApiUrl })`: `${url}/api/`. */
  apiUrl: string;
  botToken: string;
  signingSecret: string;
  /** Every accepted message, oldest first (updates change them in place). */
  messages: SlackMessage[];
  /** While down, every post is answered 500, as during a Slack outage (from outside: SLACK_CONTROL_PATH). */
  setDown(down: boolean): void;
  /** The next `count` posts are answered 500 (transient failures), then posts are accepted again. */
  failNext(count: number): void;
  /** The next `count` Web API calls are answered 429 with `Retry-After: <seconds>`, as Slack's rate limits. */
  rateLimitNext(count: number, seconds: number): void;
  /** A response URL for an interaction on the message `channel`/`ts`. */
  responseUrl(channel: string, ts: string): string;
  /** The `block_actions` payload of pressing a button of a kept message. Throws when there is no such button. */
  buttonPress(options: Omit<PressButtonOptions, 'actionsUrl' | 'timestamp' | 'secret'>): BlockActionsPayload;
  /** Presses a button as Slack would: the signed `block_actions` POST to `actionsUrl`, and its answer. */
  pressButton(options: PressButtonOptions): Promise<{ status: number; body: string; payload: BlockActionsPayload }>;
  stop(): Promise<void>;
}

interface SlackApiAnswer {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/**
 * Slack on loopback. An incoming-webhook sink that answers as Slack does (200 `ok`, 400
 * `invalid_payload` / `no_text` / `invalid_blocks`, 404 `no_service` off `/services/`, 500 while
 * down), and the Web API methods pushgate calls (`auth.test`, `chat.postMessage`, `chat.update`):
 * JSON or form bodies, the bot token checked, every refusal an HTTP 200 `{ ok: false, error }` as
 * Slack answers, 429 with `Retry-After` on demand, Block Kit limits enforced (`invalid_blocks`).
 * Messages are kept with their channel, ts and thread; updates apply in place; interaction
 * response URLs are served too.
 * https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors,
 * https://docs.slack.dev/reference/methods/chat.postMessage, https://docs.slack.dev/reference/methods/chat.update
 */
export async function startSlack(options: StartSlackOptions = {}): Promise<LocalSlack> {
  const messages: SlackMessage[] = [];
  const botToken = options.botToken ?? `xoxb-local-${randomBytes(12).toString('hex')}`;
  const signingSecret = options.signingSecret ?? randomBytes(16).toString('hex');
  const knownChannels = options.channels ? new Set(options.channels) : undefined;
  const responseTargets = new Map<string, { channel: string; ts: string }>();
  let down = false;
  let failures = 0;
  let rateLimited = { count: 0, seconds: 1 };
  let lastTs = 0;

  /** Unique, increasing, in Slack's `<seconds>.<microseconds>` form. */
  function nextTs(): string {
    lastTs = Math.max(lastTs + 1, Date.now() * 1000);
    return `${Math.floor(lastTs / 1_000_000)}.${String(lastTs % 1_000_000).padStart(6, '0')}`;
  }

  function keep(message: Omit<SlackMessage, 'line' | 'receivedAt' | 'updates'>): SlackMessage {
    const kept: SlackMessage = {
      ...message,
      line: readableLine(message.payload),
      receivedAt: new Date().toISOString(),
      updates: 0,
    };
    messages.push(kept);
    options.onMessage?.(kept.line, kept);
    return kept;
  }

  function update(message: SlackMessage, fields: Record<string, unknown>): void {
    for (const key of ['text', 'blocks', 'attachments'] as const)
      if (fields[key] !== undefined) message.payload[key] = fields[key];
    message.line = readableLine(message.payload);
    message.updates += 1;
    message.updatedAt = new Date().toISOString();
    options.onMessage?.(message.line, message);
  }

  const find = (channel: string | undefined, ts: string | undefined) =>
    messages.find((message) => message.ts === ts && (channel === undefined || message.channel === channel));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    // The webhook path and the token are the secrets, as on Slack; and a web page that rebinds its name
    // to 127.0.0.1 (which could then read answers and flip the outage switch) still sends its own Host.
    const wrongHost = checkHost(req.headers, 'Slack');
    if (wrongHost) {
      req.resume();
      return answer(res, 403, wrongHost.message);
    }
    const body = await readBody(req, 1024 * 1024);
    if (path === SLACK_CONTROL_PATH) return control(req, body, res);
    if (path === SLACK_MESSAGES_PATH) {
      const channel = url.searchParams.get('channel');
      return sendJson(res, 200, {
        messages: channel ? messages.filter((message) => message.channel === channel) : messages,
      });
    }
    if (path === SLACK_RATE_LIMIT_PATH) return rateLimitControl(req, body, res);
    if (path === SLACK_RESPONSE_URL_PATH) return responseUrlControl(req, body, res);
    if (path.startsWith('/api/')) return api(req, path.slice('/api/'.length), url.searchParams, body, res);
    if (path.startsWith(RESPONSE_PATH)) return respond(req, path.slice(RESPONSE_PATH.length), body, res);
    if (req.method !== 'POST' || !path.startsWith('/services/')) return answer(res, 404, 'no_service');
    if (outage()) return answer(res, 500, 'internal_error');
    const payload = parsePayload(req.headers['content-type'], body);
    if (!payload) return answer(res, 400, 'invalid_payload');
    if (readableLine(payload) === '') return answer(res, 400, 'no_text');
    if (payload.blocks !== undefined && checkSlackLimits(payload).length > 0) return answer(res, 400, 'invalid_blocks');
    keep({ path, payload, source: 'webhook', channel: WEBHOOK_CHANNEL, ts: nextTs() });
    answer(res, 200, 'ok');
  }

  function outage(): boolean {
    if (down) return true;
    if (failures > 0) {
      failures -= 1;
      return true;
    }
    return false;
  }

  function api(req: IncomingMessage, method: string, query: URLSearchParams, body: Buffer, res: ServerResponse): void {
    if (outage()) return answer(res, 500, 'internal_error');
    if (rateLimited.count > 0) {
      rateLimited.count -= 1;
      return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(rateLimited.seconds) });
    }
    const args = apiArguments(req.headers['content-type'], body, query);
    if (!args) return sendJson(res, 200, { ok: false, error: 'invalid_json' });
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    const result = ((): SlackApiAnswer => {
      if (!token) return { ok: false, error: 'not_authed' };
      if (token !== botToken) return { ok: false, error: 'invalid_auth' };
      switch (method) {
        case 'auth.test':
          return {
            ok: true,
            url: `${server.url}/`,
            team: 'pushgate-local',
            user: 'pushgate',
            team_id: 'T00000000',
            user_id: 'U0PUSHGATE',
            bot_id: 'B0PUSHGATE',
            is_enterprise_install: false,
          };
        case 'chat.postMessage':
          return postMessage(args, method);
        case 'chat.update':
          return chatUpdate(args);
        default:
          return { ok: false, error: 'unknown_method' };
      }
    })();
    sendJson(res, 200, result);
  }

  /** What Slack checks of a message's content, in the order it answers. */
  function checkContent(args: Record<string, unknown>): SlackApiAnswer | undefined {
    if (args.blocks !== undefined && !Array.isArray(args.blocks)) return { ok: false, error: 'invalid_blocks_format' };
    const text = typeof args.text === 'string' ? args.text : '';
    const blocks = args.blocks as unknown[] | undefined;
    if (text.trim() === '' && (blocks === undefined || blocks.length === 0) && args.attachments === undefined)
      return { ok: false, error: 'no_text' };
    if (text.length > SLACK_LIMITS.messageText) return { ok: false, error: 'msg_too_long' };
    const problems = blocks ? checkSlackLimits({ text, blocks }) : [];
    if (problems.length > 0)
      return {
        ok: false,
        error: 'invalid_blocks',
        response_metadata: { messages: problems.map((problem) => `[ERROR] ${problem}`) },
      };
    return undefined;
  }

  function postMessage(args: Record<string, unknown>, method: string): SlackApiAnswer {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (channel === '' || (knownChannels && !knownChannels.has(channel)))
      return { ok: false, error: 'channel_not_found' };
    const refused = checkContent(args);
    if (refused) return refused;
    const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
    const payload = messageFields(args);
    const message = keep({
      path: `/api/${method}`,
      payload,
      source: 'api',
      channel,
      ts: nextTs(),
      ...(threadTs ? { threadTs } : {}),
    });
    return { ok: true, channel, ts: message.ts, message: slackShape(message) };
  }

  function chatUpdate(args: Record<string, unknown>): SlackApiAnswer {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (channel === '' || (knownChannels && !knownChannels.has(channel)))
      return { ok: false, error: 'channel_not_found' };
    const message = find(channel, typeof args.ts === 'string' ? args.ts : undefined);
    if (!message || message.deleted) return { ok: false, error: 'message_not_found' };
    if (message.source !== 'api') return { ok: false, error: 'cant_update_message' };
    const refused = checkContent({
      text: args.text ?? message.payload.text,
      blocks: args.blocks ?? message.payload.blocks,
    });
    if (refused) return refused;
    update(message, args);
    return { ok: true, channel, ts: message.ts, text: message.payload.text, message: slackShape(message) };
  }

  /** A POST to a response_url: an ephemeral (default) or in-channel message, or a change to the original. */
  function respond(req: IncomingMessage, id: string, body: Buffer, res: ServerResponse): void {
    const target = responseTargets.get(id);
    if (req.method !== 'POST' || !target) return sendJson(res, 404, { ok: false, error: 'expired_url' });
    const payload = parsePayload(req.headers['content-type'], body);
    if (!payload) return sendJson(res, 400, { ok: false, error: 'invalid_payload' });
    const original = find(target.channel, target.ts);
    if (payload.delete_original === true || payload.delete_original === 'true') {
      if (!original) return sendJson(res, 404, { ok: false, error: 'message_not_found' });
      original.deleted = true;
      original.updatedAt = new Date().toISOString();
      return sendJson(res, 200, { ok: true });
    }
    const refused = checkContent(payload);
    if (refused) return sendJson(res, 400, refused);
    if (payload.replace_original === true || payload.replace_original === 'true') {
      if (!original) return sendJson(res, 404, { ok: false, error: 'message_not_found' });
      update(original, payload);
      return sendJson(res, 200, { ok: true });
    }
    const threadTs = typeof payload.thread_ts === 'string' ? payload.thread_ts : original?.threadTs;
    keep({
      path: `${RESPONSE_PATH}${id}`,
      payload: messageFields(payload),
      source: 'response_url',
      channel: target.channel,
      ts: nextTs(),
      responseType: payload.response_type === 'in_channel' ? 'in_channel' : 'ephemeral',
      ...(threadTs ? { threadTs } : {}),
    });
    sendJson(res, 200, { ok: true });
  }

  function control(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (req.method !== 'POST') return answer(res, 405, 'method_not_allowed');
    const wanted = parsePayload('application/json', body)?.down;
    if (typeof wanted !== 'boolean') return answer(res, 400, 'expected {"down": true|false}');
    down = wanted;
    sendJson(res, 200, { down });
  }

  function responseUrlControl(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (req.method !== 'POST') return answer(res, 405, 'method_not_allowed');
    const wanted = parsePayload('application/json', body);
    const { channel, ts } = wanted ?? {};
    if (typeof channel !== 'string' || typeof ts !== 'string')
      return answer(res, 400, 'expected {"channel": "C…", "ts": "…"}');
    if (!find(channel, ts)) return sendJson(res, 404, { ok: false, error: 'message_not_found' });
    sendJson(res, 200, { response_url: responseUrl(channel, ts) });
  }

  function rateLimitControl(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (req.method !== 'POST') return answer(res, 405, 'method_not_allowed');
    const wanted = parsePayload('application/json', body);
    const count = wanted?.count;
    const seconds = wanted?.seconds ?? 1;
    if (typeof count !== 'number' || typeof seconds !== 'number' || count < 0 || seconds < 0)
      return answer(res, 400, 'expected {"count": n, "seconds": s}');
    rateLimited = { count, seconds };
    sendJson(res, 200, rateLimited);
  }

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, 'internal_error');
    });
  }, options.port);

  function responseUrl(channel: string, ts: string): string {
    const id = randomBytes(12).toString('hex');
    responseTargets.set(id, { channel, ts });
    return `${server.url}${RESPONSE_PATH}${id}`;
  }

  function buttonPress(press: Omit<PressButtonOptions, 'actionsUrl' | 'timestamp' | 'secret'>): BlockActionsPayload {
    const message = find(press.channel, press.ts);
    if (!message) throw new Error(`no message with ts ${press.ts}${press.channel ? ` in ${press.channel}` : ''}`);
    const blocks = Array.isArray(message.payload.blocks) ? (message.payload.blocks as Record<string, unknown>[]) : [];
    for (const [index, block] of blocks.entries()) {
      const blockId = typeof block.block_id === 'string' ? block.block_id : `block_${index}`;
      if (press.blockId !== undefined && blockId !== press.blockId) continue;
      const elements = [
        ...(Array.isArray(block.elements) ? block.elements : []),
        ...(block.accessory ? [block.accessory] : []),
      ] as Record<string, unknown>[];
      const button = elements.find((element) => element.type === 'button' && element.action_id === press.actionId);
      if (!button) continue;
      return blockActionsPayload({
        user: press.user ?? { id: 'U0LOCAL000', username: 'local-user', name: 'local-user' },
        action: {
          action_id: press.actionId,
          block_id: blockId,
          ...(typeof button.value === 'string' ? { value: button.value } : {}),
          ...(button.text !== undefined ? { text: button.text } : {}),
          ...(typeof button.style === 'string' ? { style: button.style } : {}),
        },
        channel: { id: message.channel },
        message: slackShape(message),
        responseUrl: responseUrl(message.channel, message.ts),
      });
    }
    throw new Error(
      `message ${press.ts} has no ${press.actionId} button${press.blockId ? ` in ${press.blockId}` : ''}`,
    );
  }

  return {
    url: server.url,
    webhookUrl: `${server.url}/services/T00000000/B00000000/local`,
    apiUrl: `${server.url}/api/`,
    botToken,
    signingSecret,
    messages,
    setDown: (value) => {
      down = value;
    },
    failNext: (count) => {
      failures = count;
    },
    rateLimitNext: (count, seconds) => {
      rateLimited = { count, seconds };
    },
    responseUrl,
    buttonPress,
    async pressButton(press) {
      const payload = buttonPress(press);
      const { body, headers } = signedBlockActions(press.secret ?? signingSecret, payload, press.timestamp);
      const response = await fetch(press.actionsUrl, { method: 'POST', headers, body });
      return { status: response.status, body: await response.text(), payload };
    },
    stop: server.stop,
  };
}

/** The message as Slack returns and embeds it (`type`, `ts`, `text`, `blocks`, `thread_ts`, the bot). */
function slackShape(message: SlackMessage): Record<string, unknown> & { ts: string } {
  return {
    type: 'message',
    ...message.payload,
    ts: message.ts,
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.source === 'api' ? { bot_id: 'B0PUSHGATE', user: 'U0PUSHGATE' } : {}),
  };
}

/** The content fields of a message (not the channel, token or flags). */
function messageFields(args: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of ['text', 'blocks', 'attachments', 'unfurl_links', 'unfurl_media', 'mrkdwn'])
    if (args[key] !== undefined) fields[key] = args[key];
  return fields;
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(text) }).end(text);
}

/**
 * A Web API call's arguments: a JSON body, or a form body (what @slack/web-api sends) whose
 * structured fields (`blocks`, `attachments`) are JSON strings; the query string too, as Slack reads it.
 */
function apiArguments(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): Record<string, unknown> | undefined {
  const args: Record<string, unknown> = Object.fromEntries(query);
  const text = body.toString('utf8');
  if (contentType?.startsWith('application/json')) {
    if (text.trim() === '') return args;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      return { ...args, ...(value as Record<string, unknown>) };
    } catch {
      return undefined;
    }
  }
  for (const [key, value] of new URLSearchParams(text)) args[key] = value;
  for (const key of ['blocks', 'attachments']) {
    if (typeof args[key] !== 'string') continue;
    try {
      args[key] = JSON.parse(args[key]);
    } catch {
      args[key] = 'not json';
    }
  }
  return args;
}

/** JSON, or the legacy form encoding with the JSON in a `payload` field. */
function parsePayload(contentType: string | undefined, body: Buffer): Record<string, unknown> | undefined {
  try {
    const text = body.toString('utf8');
    const json = contentType?.startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(text).get('payload')
      : text;
    const value: unknown = JSON.parse(json ?? '');
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Text of the message, else of its blocks and attachments, on one line. */
export function readableLine(payload: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof payload.text === 'string' && payload.text.trim() !== '') parts.push(payload.text);
  else {
    collectText(payload.blocks, parts);
    collectText(payload.attachments, parts);
  }
  return parts
    .join(' | ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** Walks blocks / attachments for their `text`, `fallback` and field texts (Block Kit nests them). */
function collectText(value: unknown, parts: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectText(item, parts);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  if (typeof record.fallback === 'string') {
    parts.push(record.fallback);
    return;
  }
  if (typeof record.text === 'string') parts.push(record.text);
  else collectText(record.text, parts);
  for (const key of ['fields', 'elements', 'blocks']) collectText(record[key], parts);
}
