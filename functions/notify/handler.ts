import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import type { Notifier } from '../lib/notify/notifier.ts';
import { notifyRun } from '../lib/notify/notify-run.ts';
import { RunOutcome } from '../lib/notify/run-outcome.ts';
import { createSlackNotifier } from '../lib/notify/slack-notifier.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput } from '../lib/run/step-input.ts';
import { getConfiguredSecret } from '../lib/secrets.ts';

const logger = new Logger({ serviceName: 'pushgate-notify' });

const NotifyInput = z.object({ outcome: RunOutcome });

/**
 * Step Functions `Notify`: `{ outcome }` from Record. Every channel's result is recorded on the run;
 * a channel that fails or is not configured never fails the execution.
 */
export const handler = async (event: unknown) => {
  const { outcome } = parseStepInput(NotifyInput, event, 'Notify');
  logger.appendKeys({ runId: outcome.runId });
  const notifiers: Notifier[] = [];
  const skipped: Record<string, string> = {};

  let webhookUrl: string | undefined;
  try {
    webhookUrl = await getConfiguredSecret({
      valueEnv: 'SLACK_WEBHOOK_URL',
      parameterEnv: 'SLACK_WEBHOOK_URL_PARAMETER',
    });
  } catch (error) {
    // SecretConfigError names the parameter, never its value.
    skipped.slack = error instanceof Error ? error.message : 'could not read the Slack webhook URL';
  }
  if (webhookUrl) notifiers.push(createSlackNotifier({ webhookUrl }));
  else skipped.slack ??= 'not configured (SLACK_WEBHOOK_URL_PARAMETER is not set)';

  const results = await notifyRun(outcome, notifiers, { store: defaultStore(), skipped, logger });
  return { notifications: results.map(({ channel, ok, attempts }) => ({ channel, ok, attempts })) };
};
