import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import { NotifyError } from './errors.ts';
import type { Notifier } from './notifier.ts';
import {
  awaitingApproval,
  slackApprovalRequest,
  slackRunMessage,
  type SlackMessagePayload,
  type SlackRunView,
} from './slack-blocks.ts';
import { slackMessage } from './slack-message.ts';

export interface SlackNotifierOptions {
  /** An incoming-webhook URL. It is a secret: it is never logged and never put into an error. */
  webhookUrl: string;
  /** Per request; notifyRun retries. Default 10 s, well inside the Notify Lambda's timeout. */
  timeoutMs?: number;
}

export interface SlackWebhookNotifier extends Notifier {
  /**
   * Posts the approval request for the targets of `view` waiting for approval, without buttons (an
   * incoming webhook's message cannot reach an app): it says how to approve by comment or from the
   * CLI. Nothing is posted when no target waits.
   */
  approvalRequested(view: SlackRunView): Promise<void>;
  /** Posts the one message of a finished run, from its whole view (approvals, commit, duration). */
  runFinished(view: SlackRunView): Promise<void>;
}

/**
 * Posts to a Slack incoming webhook: one Block Kit message when the run ends (`notify`), and the
 * approval request (`approvalRequested`). Retrying is notifyRun's job, so the library's own retries
 * stay off. https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
 */
export function createSlackNotifier(options: SlackNotifierOptions): SlackWebhookNotifier {
  const webhook = new IncomingWebhook(options.webhookUrl, { timeout: options.timeoutMs ?? 10_000 });
  const scrub = (text: string) => text.replaceAll(options.webhookUrl, '<webhook>');

  async function send(message: SlackMessagePayload): Promise<void> {
    try {
      await webhook.send(message);
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
  }

  return {
    channel: 'slack',
    notify: (outcome) => send(slackMessage(outcome)),
    runFinished: (view) => send(slackRunMessage(view)),
    async approvalRequested(view) {
      if (awaitingApproval(view).length === 0) return;
      await send(slackApprovalRequest(view, { interactive: false }));
    },
  };
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
