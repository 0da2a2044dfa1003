import type { DeploymentRecord, DeploymentStore } from '../store/types.ts';
import { ROLLBACK_HISTORY_LIMIT } from './recorded-deployment.ts';
import type { RollbackTargetPlan } from './rollback-invocation.ts';

export interface ResolveRollbackInput {
  repo: string;
  environment: string;
  project?: string;
  /** A full sha or a prefix of at least 7 characters. */
  to?: string;
}

export type ResolvedRollback =
  | {
      sha: string;
      targets: RollbackTargetPlan[];
      /** The recorded deployment of `sha` the rollback restores (of the first target): its run tells the branch. */
      deployment: DeploymentRecord;
    }
  | { unknown: string }
  | { refused: string };

/**
 * What a rollback restores, from the recorded deployments only (never from the caller's say-so):
 * per project that runs in the environment now, `--to`'s commit when it was deployed there
 * successfully before, else the last successful deployment before the current one whose commit
 * differs. One run deploys one commit: projects that would go back to different commits are refused
 * together (name one with `--project`, or the commit with `--to`).
 */
export async function resolveRollback(
  input: ResolveRollbackInput,
  store: Pick<DeploymentStore, 'getCurrent' | 'listDeployments'>,
): Promise<ResolvedRollback> {
  const { repo, environment } = input;
  const current = (await store.getCurrent(repo, environment)).sort((a, b) => a.project.localeCompare(b.project));
  if (current.length === 0) return { unknown: `nothing of ${repo} was ever deployed to ${environment}` };
  const chosen = input.project === undefined ? current : current.filter((d) => d.project === input.project);
  if (chosen.length === 0) {
    return {
      unknown: `${input.project} was never deployed to ${environment} (deployed there: ${current.map((d) => d.project).join(', ')})`,
    };
  }

  const plans: { plan: RollbackTargetPlan; deployment: DeploymentRecord }[] = [];
  const why: string[] = [];
  for (const now of chosen) {
    const history = await store.listDeployments(repo, environment, {
      project: now.project,
      limit: ROLLBACK_HISTORY_LIMIT,
    });
    const succeeded = history.filter((d) => d.project === now.project && d.status === 'succeeded');
    const to = input.to;
    const earlier =
      to === undefined
        ? succeeded.find((d) => d.sha !== now.sha && d.deployedAt < now.deployedAt)
        : succeeded.find((d) => d.sha.startsWith(to));
    if (earlier === undefined) {
      why.push(
        to === undefined
          ? `${now.project}: no earlier successful deployment to ${environment}`
          : `${now.project}: ${to.slice(0, 7)} was never deployed successfully to ${environment}`,
      );
      continue;
    }
    if (earlier.sha === now.sha) {
      why.push(`${now.project}: ${environment} runs ${now.sha.slice(0, 7)} already`);
      continue;
    }
    plans.push({ plan: { project: now.project, from: now.sha, to: earlier.sha }, deployment: earlier });
  }
  if (plans.length === 0) {
    const message = `nothing to roll back in ${environment}: ${why.join('; ')}`;
    // A commit named with --to that never ran there is as unknown as a mistyped project.
    return input.to !== undefined && why.every((line) => line.includes('never deployed'))
      ? { unknown: message }
      : { refused: message };
  }
  const shas = [...new Set(plans.map(({ plan }) => plan.to))];
  if (shas.length > 1) {
    return {
      refused: `the projects of ${environment} go back to different commits (${plans.map(({ plan }) => `${plan.project} → ${plan.to.slice(0, 7)}`).join(', ')}): roll back one with --project, or name the commit with --to`,
    };
  }
  return { sha: shas[0]!, targets: plans.map(({ plan }) => plan), deployment: plans[0]!.deployment };
}
