import { requestApproval, type RequestApprovalDeps } from '../lib/run/request-approval.ts';
import { runtimeFeedback } from '../lib/runtime/feedback.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, targetKeys, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { RequestApprovalInput, type RequestApprovalOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): RequestApprovalDeps => {
  const logger = functionLogger('requestApproval');
  return {
    store: runtimeStore(),
    // The pull request's comment (or a commit comment), the statuses and Slack say what to do, at once.
    announcer: {
      async approvalRequested(input) {
        try {
          await (await runtimeFeedback(logger)).approvalRequested(input.run.runId);
        } catch (error) {
          logger.warn('could not announce the approval request', { runId: input.run.runId, error });
        }
      },
    },
  };
};

/** Step Functions `WaitForApproval` (lambda:invoke.waitForTaskToken). The task token is never logged. */
export function createHandler(
  deps: () => RequestApprovalDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<RequestApprovalOutput>(
    'requestApproval',
    async (event, step) => {
      const input = parseStepInput(RequestApprovalInput, event, 'WaitForApproval');
      step.appendKeys(targetKeys(input));
      return requestApproval(input, deps());
    },
    observability,
  );
}

export const handler = createHandler();
