import { requestApproval, type RequestApprovalDeps } from '../lib/run/request-approval.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { RequestApprovalInput, type RequestApprovalOutput } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

const defaultDeps = (): RequestApprovalDeps => ({ store: runtimeStore() });

/** Step Functions `WaitForApproval` (lambda:invoke.waitForTaskToken). */
export function createHandler(deps: () => RequestApprovalDeps = defaultDeps) {
  return async (event: unknown): Promise<RequestApprovalOutput> =>
    requestApproval(parseStepInput(RequestApprovalInput, event, 'WaitForApproval'), deps());
}

export const handler = createHandler();
