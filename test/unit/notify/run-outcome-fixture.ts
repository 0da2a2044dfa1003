import { consoleUrl } from '../../../functions/lib/console-url.ts';
import type { RunOutcome } from '../../../functions/lib/workflow/contract.ts';

export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:pushgate-dev-deploy:run-01HXYZ';

/** A push whose prod target failed after staging succeeded, as Record returns it. */
export const failedOutcome: RunOutcome = {
  runId: 'run-01HXYZ',
  repo: 'acme/infra',
  kind: 'push',
  branch: 'main',
  sha: '0123456789abcdef0123456789abcdef01234567',
  actor: 'octocat',
  status: 'failed',
  reason: 'network/prod: apply failed: exit status 1',
  executionArn: EXECUTION_ARN,
  consoleUrl: consoleUrl(EXECUTION_ARN),
  targets: [
    {
      project: 'network',
      environment: 'staging',
      status: 'succeeded',
      summary: { add: 2, change: 1, destroy: 1, replace: 1, outputChanges: [], hasChanges: true },
    },
    {
      project: 'network',
      environment: 'prod',
      status: 'failed',
      summary: { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: ['vpc_id'], hasChanges: true },
      reason: 'apply failed: exit status 1',
    },
    {
      project: 'dns',
      environment: 'prod',
      status: 'no_changes',
      summary: { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: false },
    },
  ],
};
