import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type Logger as SlackLogger,
} from '@slack/web-api';
import type { Logger } from '@aws-lambda-powertools/logger';
import { NotifyError } from './errors.ts';
import type { Notifier } from './notifier.ts';
import {
  awaitingApproval,
  slackApprovalClosed,
  slackApprovalRequest,
  type ApprovalClosedBy,
  slackRunMessage,
  slackTargetDetails,
  type SlackMessagePayload,
  type SlackRunView,
  type SlackTargetView,
} from './slack-blocks.ts';
import { slackRunView } from './slack-message.ts';

/**
 * Where the `ts` of each run's message is kept, per channel, so that later phases update that message
 * and reply in its thread instead of posting a new one. The lead's DynamoDB store implements it.
 */
export interface SlackMessageStore {
  /**
   * channel → ts of the run's message in it; `{}` when none was posted yet. The latest approval
   * request in a channel's thread is kept under `<channel>#approval` (approvalRequestKey).
   */
  getSlackMessages(runId: string): Promise<Record<string, string>>;
  recordSlackMessage(runId: string, channel: string, ts: string): Promise<void>;
}

/** Where the ts of the run's latest approval request in `channel` is kept: closed once the run moves on. */
export function approvalRequestKey(channel: string): string {
  return `${channel}#approval`;
}

/**
 * Which channel hears about which environment: `byEnvironment[env]`, else `default`. Channels are
 * Slack channel IDs (`C0123…`): chat.update takes only an ID, never a `#name`.
 */
export interface SlackChannels {
  default: string;
  byEnvironment?: Record<string, string>;
}

export interface SlackBotNotifierOptions {
  /** The app's bot token (`xoxb-…`). A secret: it is never put into an error or a log line. */
  token: string;
  channels: SlackChannels;
  store: SlackMessageStore;
  /** The Web API base, `https://slack.com/api/` by default; the local Slack's `apiUrl` in tests and `pushgate dev`. */
  slackApiUrl?: string;
  /** Per request. Default 10 s, well inside the Notify Lambda's timeout. */
  timeoutMs?: number;
  /** The library's retries of a request that did not get an answer or got a 5xx. Default 2. */
  retries?: number;
  /** Calls answered 429 are sent again after `Retry-After` this many times at most. Default 2. */
  rateLimitRetries?: number;
  /** A `Retry-After` longer than this is not waited for: the call fails, retryable. Default 30 s. */
  maxRetryAfterSeconds?: number;
  /** Whether approval requests carry buttons (the app has interactivity on). Default true. */
  interactive?: boolean;
  logger?: Pick<Logger, 'warn'>;
  sleep?: (ms: number) => Promise<void>;
}

/** A run's Slack presence through the app: one message per channel, updated as the run moves, details in its thread. */
export interface SlackBotNotifier extends Notifier {
  /** Posts the run's message in each of its channels (or updates it, when one was posted already). */
  runStarted(view: SlackRunView): Promise<void>;
  /**
   * Updates the message to `awaiting approval` and replies in its thread with the approval request
   * (its ts kept under approvalRequestKey); an earlier request is closed first (superseded).
   */
  approvalRequested(view: SlackRunView): Promise<void>;
  /**
   * Updates the message to the run's outcome, closes the approval request (the decision, or expired:
   * no buttons left) and replies in its thread with every target's details.
   */
  runFinished(view: SlackRunView): Promise<void>;
}

/**
 * Platform errors that another try can get past; every other one (invalid_auth, channel_not_found,
 * not_in_channel, invalid_blocks, msg_too_long, …) would be refused the same way again.
 * https://docs.slack.dev/reference/methods/chat.postMessage#errors
 */
const RETRYABLE_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

/** Each channel with the run's targets that go to it; a run without targets goes to the default channel. */
export function slackChannelsFor(
  targets: readonly SlackTargetView[],
  channels: SlackChannels,
): Map<string, SlackTargetView[]> {
  const byChannel = new Map<string, SlackTargetView[]>();
  if (targets.length === 0) return new Map([[channels.default, []]]);
  for (const target of targets) {
    const channel = channels.byEnvironment?.[target.environment] ?? channels.default;
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), target]);
  }
  return byChannel;
}

/**
 * The Slack app notifier (bot token, Web API through `@slack/web-api`): `chat.postMessage` once per
 * run per channel when it starts, `chat.update` of that message as it moves, and details (plans, the
 * approval request with its buttons) as replies in the message's thread. A 429 is waited out as its
 * `Retry-After` says, a bounded number of times; every failure is a NotifyError (retryable or not)
 * whose message never holds the token.
 */
export function createSlackBotNotifier(options: SlackBotNotifierOptions): SlackBotNotifier {
  const apiUrl = options.slackApiUrl ? options.slackApiUrl.replace(/\/?$/, '/') : undefined;
  const client = new WebClient(options.token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    timeout: options.timeoutMs ?? 10_000,
    // 429s come back to us as WebAPIRateLimitedError, so that the wait stays bounded (below).
    rejectRateLimitedCalls: true,
    retryConfig: { retries: options.retries ?? 2, factor: 2, minTimeout: 250, maxTimeout: 2000 },
    logger: silentLogger(),
    allowAbsoluteUrls: false,
  });
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 30;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const scrub = (text: string) => (options.token ? text.replaceAll(options.token, '<token>') : text);

  async function call<T>(method: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        if (
          error instanceof WebAPIRateLimitedError &&
          attempt < rateLimitRetries &&
          error.retryAfter <= maxRetryAfter
        ) {
          await sleep(Math.max(0, error.retryAfter) * 1000);
          continue;
        }
        throw notifyError(method, error, scrub);
      }
    }
  }

  async function post(channel: string, message: SlackMessagePayload, threadTs?: string): Promise<string> {
    const result = await call('chat.postMessage', () =>
      client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      }),
    );
    if (!result.ts) throw new NotifyError('Slack answered chat.postMessage without a ts', { retryable: true });
    return result.ts;
  }

  /** The run's message in `channel`: updated when there is one, else posted and its ts recorded. */
  async function upsert(view: SlackRunView, channel: string, stored: Record<string, string>): Promise<string> {
    const message = slackRunMessage(view);
    const ts = stored[channel];
    if (ts) {
      try {
        await call('chat.update', () =>
          client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }),
        );
        return ts;
      } catch (error) {
        // Someone deleted the message: the run gets a new one.
        if (!(error instanceof SlackCallError && error.slackError === 'message_not_found')) throw error;
      }
    }
    const posted = await post(channel, message);
    // The message is out: failing now would post it again on retry. Later phases post a new one.
    await record(view.runId, channel, posted);
    return posted;
  }

  async function record(runId: string, key: string, ts: string): Promise<void> {
    try {
      await options.store.recordSlackMessage(runId, key, ts);
    } catch (error) {
      options.logger?.warn('could not record the Slack message of a run', {
        runId,
        channel: key,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Replaces the channel's earlier approval request, if any, with what became of it (no buttons).
   * Never fails the notification: a request left with its buttons only offers decisions that the
   * approval function refuses (nothing waits any more), and a deleted one has nothing to close.
   */
  async function closeRequest(
    view: SlackRunView,
    channel: string,
    stored: Record<string, string>,
    closedBy: ApprovalClosedBy,
  ): Promise<void> {
    const ts = stored[approvalRequestKey(channel)];
    if (!ts) return;
    const message = slackApprovalClosed(view, closedBy);
    try {
      await call('chat.update', () => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }));
    } catch (error) {
      if (error instanceof SlackCallError && error.slackError === 'message_not_found') return;
      options.logger?.warn('could not close the Slack approval request of a run', {
        runId: view.runId,
        channel,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async function eachChannel(
    view: SlackRunView,
    then?: (channelView: SlackRunView, channel: string, ts: string, stored: Record<string, string>) => Promise<void>,
  ): Promise<void> {
    let stored: Record<string, string>;
    try {
      stored = await options.store.getSlackMessages(view.runId);
    } catch (error) {
      throw new NotifyError(
        `could not read the run's Slack messages: ${error instanceof Error ? error.message : String(error)}`,
        { retryable: true, cause: error },
      );
    }
    for (const [channel, targets] of slackChannelsFor(view.targets, options.channels)) {
      const channelView = { ...view, targets };
      const ts = await upsert(channelView, channel, stored);
      await then?.(channelView, channel, ts, stored);
    }
  }

  const notifier: SlackBotNotifier = {
    channel: 'slack',
    runStarted: (view) => eachChannel({ ...view, phase: 'started' }),
    approvalRequested: (view) =>
      eachChannel({ ...view, phase: 'awaiting_approval' }, async (channelView, channel, ts, stored) => {
        const asking = awaitingApproval(channelView).length > 0;
        await closeRequest(channelView, channel, stored, asking ? 'superseded' : 'finished');
        if (!asking) return;
        const request = await post(
          channel,
          slackApprovalRequest(channelView, { interactive: options.interactive ?? true }),
          ts,
        );
        await record(channelView.runId, approvalRequestKey(channel), request);
      }),
    runFinished: (view) =>
      eachChannel({ ...view, phase: 'finished' }, async (channelView, channel, ts, stored) => {
        await closeRequest(channelView, channel, stored, 'finished');
        if (channelView.targets.length === 0) return;
        await post(channel, slackTargetDetails(channelView), ts);
      }),
    notify: (outcome) => notifier.runFinished(slackRunView(outcome)),
  };
  return notifier;
}

/** A NotifyError that keeps Slack's error code (`invalid_auth`, `message_not_found`, …) for callers to branch on. */
export class SlackCallError extends NotifyError {
  readonly slackError: string | undefined;

  constructor(message: string, options: { retryable: boolean; slackError?: string; cause?: unknown }) {
    super(message, options);
    this.slackError = options.slackError;
  }
}

function notifyError(method: string, error: unknown, scrub: (text: string) => string): NotifyError {
  if (error instanceof WebAPIRateLimitedError) {
    return new SlackCallError(`Slack rate-limited ${method} (Retry-After: ${error.retryAfter} s)`, {
      retryable: true,
      slackError: 'ratelimited',
    });
  }
  if (error instanceof WebAPIPlatformError) {
    const code = String(error.data.error);
    const details = (error.data.response_metadata?.messages ?? []).join('; ');
    return new SlackCallError(
      scrub(`Slack refused ${method}: ${code}${details ? ` (${details.slice(0, 300)})` : ''}`),
      { retryable: RETRYABLE_ERRORS.has(code), slackError: code },
    );
  }
  if (error instanceof WebAPIHTTPError) {
    const body = typeof error.body === 'string' ? scrub(error.body).slice(0, 200) : '';
    return new SlackCallError(`Slack answered HTTP ${error.statusCode} to ${method}${body ? ` (${body})` : ''}`, {
      retryable: error.statusCode >= 500 || error.statusCode === 429,
    });
  }
  const original = error instanceof WebAPIRequestError ? error.original : error;
  const detail = scrub(describeCause(original));
  // Only a scrubbed copy is kept as the cause: the original can hold the request.
  return new SlackCallError(`could not reach Slack for ${method}: ${detail}`, {
    retryable: true,
    cause: new Error(detail),
  });
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** The library logs failed requests to the console itself; pushgate reports through its NotifyErrors instead. */
function silentLogger(): SlackLogger {
  let level = LogLevel.ERROR;
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    setLevel: (value) => {
      level = value;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
