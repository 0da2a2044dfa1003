import type { Logger } from '@aws-lambda-powertools/logger';
import type { NotificationResult, RunStore } from '../store/types.ts';
import { NotifyError } from './errors.ts';
import type { Notifier } from './notifier.ts';
import type { RunOutcome } from '../workflow/contract.ts';

export interface NotifyRunOptions {
  store: Pick<RunStore, 'recordNotification'>;
  /** Tries per notifier, the first included. Default 3. */
  attempts?: number;
  /** Wait before the second try; doubled before each further one. Default 1,000 ms. */
  backoffMs?: number;
  /** Channels that are not configured, with why: recorded as not sent, without trying. */
  skipped?: Record<string, string>;
  logger?: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface ChannelResult extends NotificationResult {
  channel: string;
}

/**
 * Whether people are told about this run at all. A skipped run (a fork's pull request, a comment
 * from someone without write access, a branch with no environment, nothing changed) is announced
 * only when the repository's pushgate.yml asks for it (`notify: { skipped: true }`, which reaches
 * the outcome as `announceSkipped`); every other ending is.
 */
export function announces(outcome: RunOutcome): boolean {
  return outcome.status !== 'skipped' || outcome.announceSkipped === true;
}

/**
 * Sends the outcome through every notifier, each with its own retries, and records how each fared
 * on the run (`store.recordNotification`). It never throws: a Slack outage is recorded, and the
 * deployment it reports on stays as it ended. A run that is not announced (announces) is sent
 * nowhere and nothing is recorded: the result is empty.
 */
export async function notifyRun(
  outcome: RunOutcome,
  notifiers: readonly Notifier[],
  options: NotifyRunOptions,
): Promise<ChannelResult[]> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const backoffMs = options.backoffMs ?? 1000;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const log = { runId: outcome.runId };
  if (!announces(outcome)) {
    options.logger?.info('skipped run not announced (pushgate.yml: notify.skipped is off)', {
      ...log,
      reason: outcome.reason,
    });
    return [];
  }

  const skipped = Object.entries(options.skipped ?? {}).map(([channel, reason]): ChannelResult => ({
    channel,
    ok: false,
    attempts: 0,
    error: reason,
    at: now().toISOString(),
  }));
  for (const result of skipped)
    options.logger?.info('notification channel skipped', { ...log, channel: result.channel, reason: result.error });

  const sent = await Promise.all(
    notifiers.map(async (notifier): Promise<ChannelResult> => {
      let error = 'not tried';
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        try {
          await notifier.notify(outcome);
          options.logger?.info('notification sent', { ...log, channel: notifier.channel, attempts: attempt });
          return { channel: notifier.channel, ok: true, attempts: attempt, at: now().toISOString() };
        } catch (caught) {
          // Only the message: an SDK's error object can carry the request, URL and all.
          error = caught instanceof Error ? caught.message : String(caught);
          const retryable = !(caught instanceof NotifyError) || caught.retryable;
          options.logger?.warn('notification failed', { ...log, channel: notifier.channel, attempt, retryable, error });
          if (!retryable)
            return { channel: notifier.channel, ok: false, attempts: attempt, error, at: now().toISOString() };
          if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1));
        }
      }
      return { channel: notifier.channel, ok: false, attempts, error, at: now().toISOString() };
    }),
  );

  const results = [...skipped, ...sent];
  for (const { channel, ...result } of results) {
    try {
      await options.store.recordNotification(outcome.runId, channel, result);
    } catch (caught) {
      options.logger?.warn('could not record a notification result', {
        ...log,
        channel,
        error: caught instanceof Error ? caught.message : String(caught),
      });
    }
  }
  return results;
}
