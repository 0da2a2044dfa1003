import type { DeploymentRecord, DeploymentStore } from '../store/types.ts';

/**
 * How far back a rollback may reach, in a project's deployments to one environment (newest first):
 * a commit deployed longer ago than this is refused (deploy it with a push instead).
 */
export const ROLLBACK_HISTORY_LIMIT = 100;

export interface RollbackTarget {
  repo: string;
  environment: string;
  project: string;
  sha: string;
}

/**
 * The recorded successful deployment of `sha` to this repository, environment and project, newest
 * first, or undefined: a rollback may only deploy a commit that ran there before. The rollback
 * function checks it before starting a run, Validate and PrepareApply again inside the workflow.
 */
export async function recordedDeployment(
  store: Pick<DeploymentStore, 'listDeployments'>,
  target: RollbackTarget,
): Promise<DeploymentRecord | undefined> {
  const history = await store.listDeployments(target.repo, target.environment, {
    project: target.project,
    limit: ROLLBACK_HISTORY_LIMIT,
  });
  return history.find(
    (record) => record.project === target.project && record.sha === target.sha && record.status === 'succeeded',
  );
}

/** Why `sha` may not be rolled back to, in words people read (the refusal of Validate and PrepareApply). */
export function neverDeployed(target: RollbackTarget): string {
  return `${target.sha.slice(0, 7)} was never deployed successfully to ${target.project}/${target.environment} (in its last ${ROLLBACK_HISTORY_LIMIT} deployments): a rollback deploys only an earlier deployment`;
}
