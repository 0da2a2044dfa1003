import type { Logger } from '@aws-lambda-powertools/logger';
import type { FeedbackResult, RunFeedback } from '../feedback/run-feedback.ts';
import { NotifyError } from '../notify/errors.ts';
import type { Notifier } from '../notify/notifier.ts';
import { notifyRun } from '../notify/notify-run.ts';
import type { RunStore } from '../store/types.ts';
import type { NotifyInput, NotifyOutput } from '../workflow/contract.ts';

export interface NotifyDeps {
  store: Pick<RunStore, 'recordNotification'>;
  /** Where the run's feedback goes (GitHub, Slack), configured per run so a rotated secret is used. */
  feedback: () => Promise<Pick<RunFeedback, 'runFinished' | 'channels'>>;
  /** Channels that are not configured, with why: recorded on the run as not sent. */
  unconfigured?: () => Record<string, string>;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** notifyRun's retry pacing (tests shorten it). */
  backoffMs?: number;
}

const CHANNELS: readonly FeedbackResult['channel'][] = ['github', 'slack'];

/**
 * The `Notify` state: `{ outcome }` from Record. The run's final word goes to GitHub (commit statuses,
 * the pull request's comment) and Slack; each channel is retried on its own and its result recorded
 * on the run (`notifications.<channel>`); a channel that fails or is not configured never fails the
 * execution.
 */
export async function notify(input: NotifyInput, deps: NotifyDeps): Promise<NotifyOutput> {
  const { outcome } = input;
  const feedback = await deps.feedback();
  const notifiers: Notifier[] = feedback.channels.map((channel) => ({
    channel,
    async notify() {
      const [result] = await feedback.runFinished(outcome.runId, [channel], outcome);
      if (result && !result.ok) {
        throw new NotifyError(result.error ?? `${channel} failed`, { retryable: result.retryable ?? true });
      }
    },
  }));
  const skipped: Record<string, string> = {};
  for (const channel of CHANNELS) {
    if (!feedback.channels.includes(channel)) skipped[channel] = deps.unconfigured?.()[channel] ?? 'not configured';
  }
  const results = await notifyRun(outcome, notifiers, {
    store: deps.store,
    skipped,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.backoffMs === undefined ? {} : { backoffMs: deps.backoffMs }),
  });
  return { notifications: results.map(({ channel, ok, attempts }) => ({ channel, ok, attempts })) };
}
