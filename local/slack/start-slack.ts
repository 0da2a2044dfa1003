import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkHost } from '../aws/verify-request.ts';
import { listenOnLoopback, readBody, sendJson } from '../http/loopback-server.ts';

/**
 * The sink's own control route, for tests that drive `pushgate dev` from outside its process:
 * `POST /_pushgate/down` with `{ "down": true }` starts an outage (as `setDown(true)`), `{ "down": false }`
 * ends it; the answer is `{ "down": <now> }`. It lives outside `/services/`, so no Slack client reaches it.
 */
export const SLACK_CONTROL_PATH = '/_pushgate/down';

export interface SlackMessage {
  /** The webhook path, e.g. `/services/T000/B000/XXXX`. */
  path: string;
  /** The posted JSON payload (text, blocks, attachments, …). */
  payload: Record<string, unknown>;
  /** The message as one readable line: its text, else the text of its blocks and attachments. */
  line: string;
  receivedAt: string;
}

export interface StartSlackOptions {
  port?: number;
  /** Called for each accepted message, e.g. to print it in `pushgate dev`. */
  onMessage?: (line: string, message: SlackMessage) => void;
}

export interface LocalSlack {
  /** `http://127.0.0.1:<port>`; post to `${url}/services/…` (see `webhookUrl`). */
  url: string;
  /** A ready-made incoming-webhook URL on this sink. */
  webhookUrl: string;
  /** Every accepted message, oldest first. */
  messages: SlackMessage[];
  /** While down, every post is answered 500, as during a Slack outage (from outside: SLACK_CONTROL_PATH). */
  setDown(down: boolean): void;
  /** The next `count` posts are answered 500 (transient failures), then posts are accepted again. */
  failNext(count: number): void;
  stop(): Promise<void>;
}

/**
 * An incoming-webhook sink that answers as Slack does: 200 `ok`, 400 `invalid_payload` /
 * `no_text`, 404 `no_service` off `/services/`, 500 while down.
 * https://api.slack.com/messaging/webhooks#handling_errors
 */
export async function startSlack(options: StartSlackOptions = {}): Promise<LocalSlack> {
  const messages: SlackMessage[] = [];
  let down = false;
  let failures = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    // The webhook path is the secret, as on Slack; and a web page that rebinds its name to 127.0.0.1
    // (which could then read answers and flip the outage switch) still sends its own Host.
    const wrongHost = checkHost(req.headers, 'Slack');
    if (wrongHost) {
      req.resume();
      return answer(res, 403, wrongHost.message);
    }
    const body = await readBody(req, 1024 * 1024);
    if (path === SLACK_CONTROL_PATH) return control(req, body, res);
    if (req.method !== 'POST' || !path.startsWith('/services/')) return answer(res, 404, 'no_service');
    if (down) return answer(res, 500, 'internal_error');
    if (failures > 0) {
      failures -= 1;
      return answer(res, 500, 'internal_error');
    }
    const payload = parsePayload(req.headers['content-type'], body);
    if (!payload) return answer(res, 400, 'invalid_payload');
    const line = readableLine(payload);
    if (line === '') return answer(res, 400, 'no_text');
    const message: SlackMessage = { path, payload, line, receivedAt: new Date().toISOString() };
    messages.push(message);
    options.onMessage?.(line, message);
    answer(res, 200, 'ok');
  }

  function control(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (req.method !== 'POST') return answer(res, 405, 'method_not_allowed');
    const wanted = parsePayload('application/json', body)?.down;
    if (typeof wanted !== 'boolean') return answer(res, 400, 'expected {"down": true|false}');
    down = wanted;
    sendJson(res, 200, { down });
  }

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, 'internal_error');
    });
  }, options.port);

  return {
    url: server.url,
    webhookUrl: `${server.url}/services/T00000000/B00000000/local`,
    messages,
    setDown: (value) => {
      down = value;
    },
    failNext: (count) => {
      failures = count;
    },
    stop: server.stop,
  };
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(text) }).end(text);
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
