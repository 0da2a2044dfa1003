import type { Logger } from '@aws-lambda-powertools/logger';
import { notify, type NotifyDeps } from '../lib/run/notify.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { getConfiguredSecret } from '../lib/secrets.ts';
import { NotifyInput, type NotifyOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

export type NotifyHandlerDeps = NotifyDeps & { logger: Logger };

const defaultDeps = (): NotifyHandlerDeps => ({
  store: runtimeStore(),
  slackWebhookUrl: () =>
    getConfiguredSecret({ valueEnv: 'SLACK_WEBHOOK_URL', parameterEnv: 'SLACK_WEBHOOK_URL_PARAMETER' }),
  logger: functionLogger('notify'),
});

/** Step Functions `Notify`: `{ outcome }` from Record; never fails the execution for a channel. */
export function createHandler(deps: () => NotifyHandlerDeps = defaultDeps) {
  return async (event: unknown): Promise<NotifyOutput> => {
    const input = parseStepInput(NotifyInput, event, 'Notify');
    const resolved = deps();
    resolved.logger.appendKeys({ runId: input.outcome.runId });
    return notify(input, resolved);
  };
}

export const handler = createHandler();
