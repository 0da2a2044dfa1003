import type { TargetKey } from './types.ts';

/** The key of a run's target, which is also the key of its lock: the run's repository, the target's project and environment. */
export function targetKeyOf(run: { repo: string }, target: { project: string; environment: string }): TargetKey {
  return { repo: run.repo, project: target.project, environment: target.environment };
}
