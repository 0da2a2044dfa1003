import { requestApproval, RequestApprovalInput } from '../lib/run/request-approval.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput } from '../lib/run/step-input.ts';

/** Step Functions `WaitForApproval` (lambda:invoke.waitForTaskToken). */
export const handler = async (event: unknown) =>
  requestApproval(parseStepInput(RequestApprovalInput, event, 'WaitForApproval'), { store: defaultStore() });
