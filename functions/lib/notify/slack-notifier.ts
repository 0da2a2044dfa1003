import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import { NotifyError } from './errors.ts';
import type { Notifier } from './notifier.ts';
import { slackMessage } from './slack-message.ts';

export interface SlackNotifierOptions {
  /** An incoming-webhook URL. It is a secret: it is never logged and never put into an error. */
  webhookUrl: string;
  /** Per request; notifyRun retries. Default 10 s, well inside the Notify Lambda's timeout. */
  timeoutMs?: number;
}

/**
 * Posts the run's outcome to a Slack incoming webhook. Retrying is notifyRun's job, so the
 * library's own retries stay off. https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
 */
export function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  const webhook = new IncomingWebhook(options.webhookUrl, { timeout: options.timeoutMs ?? 10_000 });
  const scrub = (text: string) => text.replaceAll(options.webhookUrl, '<webhook>');
  return {
    channel: 'slack',
    async notify(outcome) {
      try {
        await webhook.send(slackMessage(outcome));
      } catch (error) {
        if (error instanceof IncomingWebhookHTTPError) {
          // Slack answers 4xx for a revoked webhook or a refused message: sending again cannot help.
          // https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors
          const retryable = error.statusCode >= 500 || error.statusCode === 429;
          const body = scrub(error.body).slice(0, 200);
          throw new NotifyError(`Slack answered HTTP ${error.statusCode}${body ? ` (${body})` : ''}`, {
            retryable,
            cause: error,
          });
        }
        // A request error's cause can quote the URL (e.g. "Failed to parse URL from …"), so only a
        // scrubbed message is kept, and the original error is not.
        const detail =
          error instanceof IncomingWebhookRequestError ? describeCause(error.original) : describeCause(error);
        throw new NotifyError(`could not reach Slack: ${scrub(detail)}`, {
          retryable: true,
          cause: new Error(scrub(detail)),
        });
      }
    },
  };
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
