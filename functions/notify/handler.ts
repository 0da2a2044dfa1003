import type { Logger } from '@aws-lambda-powertools/logger';
import { notify, type NotifyDeps } from '../lib/run/notify.ts';
import { runtimeFeedback } from '../lib/runtime/feedback.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { NotifyInput, type NotifyOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

export type NotifyHandlerDeps = Omit<NotifyDeps, 'feedback' | 'unconfigured'> & {
  logger: Logger;
  feedback?: NotifyDeps['feedback'];
};

const defaultDeps = (): NotifyHandlerDeps => ({ store: runtimeStore(), logger: functionLogger('notify') });

/** Step Functions `Notify`: `{ outcome }` from Record; never fails the execution for a channel. */
export function createHandler(
  deps: () => NotifyHandlerDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<NotifyOutput>(
    'notify',
    async (event, step) => {
      const input = parseStepInput(NotifyInput, event, 'Notify');
      const resolved = deps();
      step.appendKeys({ runId: input.outcome.runId });
      // Read per run: a rotated token or webhook is used at once.
      const configured = resolved.feedback ? undefined : await runtimeFeedback(resolved.logger);
      return notify(input, {
        ...resolved,
        feedback: resolved.feedback ?? (async () => configured!),
        unconfigured: () => configured?.unconfigured ?? {},
      });
    },
    observability,
  );
}

export const handler = createHandler();
