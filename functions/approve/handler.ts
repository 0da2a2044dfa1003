import type { Logger } from '@aws-lambda-powertools/logger';
import { approvalGitHost } from '../lib/approval/approval-git-host.ts';
import { approveFromCli, type ApproveFromCliDeps } from '../lib/approval/approve-from-cli.ts';
import type { ApprovalDecisionResult } from '../lib/approval/approval-request.ts';
import { localStsEndpoint, verifyCallerIdentity } from '../lib/approval/verify-caller-identity.ts';
import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { readPolicy } from '../lib/policy/read-policy.ts';
import { createSfnTaskResumer } from '../lib/runtime/clients/sfn-task-resumer.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';

export type ApproveHandlerDeps = ApproveFromCliDeps & { logger: Logger };

const defaultDeps = async (): Promise<ApproveHandlerDeps> => ({
  store: runtimeStore(),
  gitHost: approvalGitHost(await gitHubFromEnv()),
  tasks: createSfnTaskResumer(),
  policy: async () => (await readPolicy()).policy,
  verifyIdentity: (url, intent) => verifyCallerIdentity(url, intent, localStsEndpoint()),
  logger: functionLogger('approve'),
});

/** `pushgate approve|reject` (Lambda Invoke, RequestResponse): the result, refusals included, is the answer. */
export function createHandler(
  deps: () => Promise<ApproveHandlerDeps> = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<ApprovalDecisionResult>(
    'approve',
    async (event, step) => {
      const resolved = await deps();
      const result = await approveFromCli(event, { metrics: step.metrics, ...resolved });
      step.appendKeys({ runId: [...new Set(result.targets.map((t) => t.runId))].join(',') || undefined });
      resolved.logger.info('approval from the CLI', {
        ok: result.ok,
        targets: result.targets.map((t) => `${t.project}/${t.environment}:${t.outcome}`),
      });
      return result;
    },
    observability,
  );
}

export const handler = createHandler();
