import type { Logger } from '@aws-lambda-powertools/logger';
import type { Notifier } from '../notify/notifier.ts';
import { notifyRun } from '../notify/notify-run.ts';
import { createSlackNotifier } from '../notify/slack-notifier.ts';
import type { RunStore } from '../store/types.ts';
import type { NotifyInput, NotifyOutput } from '../workflow/contract.ts';

export interface NotifyDeps {
  store: Pick<RunStore, 'recordNotification'>;
  /** The Slack incoming-webhook URL, or undefined when none is configured; read per run, so a rotated one is used. */
  slackWebhookUrl: () => Promise<string | undefined>;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * The `Notify` state: `{ outcome }` from Record. Every channel's result is recorded on the run; a
 * channel that fails or is not configured never fails the execution.
 */
export async function notify(input: NotifyInput, deps: NotifyDeps): Promise<NotifyOutput> {
  const { outcome } = input;
  const notifiers: Notifier[] = [];
  const skipped: Record<string, string> = {};

  let webhookUrl: string | undefined;
  try {
    webhookUrl = await deps.slackWebhookUrl();
  } catch (error) {
    // SecretConfigError names the parameter, never its value.
    skipped.slack = error instanceof Error ? error.message : 'could not read the Slack webhook URL';
  }
  if (webhookUrl) notifiers.push(createSlackNotifier({ webhookUrl }));
  else skipped.slack ??= 'not configured (SLACK_WEBHOOK_URL_PARAMETER is not set)';

  const results = await notifyRun(outcome, notifiers, {
    store: deps.store,
    skipped,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return { notifications: results.map(({ channel, ok, attempts }) => ({ channel, ok, attempts })) };
}
