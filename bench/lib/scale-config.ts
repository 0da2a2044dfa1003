import { stringify } from 'yaml';
import { localBuildCapacity } from '../../local/codebuild/build-queue.ts';

/** The environments of the scale repositories: every project to staging, then prod (`after: staging`). */
export const SCALE_ENVIRONMENTS = ['staging', 'prod'] as const;

/** Project `i` of a scale repository: its name and the directory it watches (`projects/p<i>/**`). */
export const scaleProject = (i: number) => ({ name: `p${i}`, dir: `projects/p${i}` });

/**
 * pushgate.yml for `projects` no-op `command` projects (as noop-config.ts's one), each deployed to
 * `environments` from main without approval: what is measured is pushgate at that size, not a tool.
 */
export function scaleConfig(projects: number, environments: readonly string[] = SCALE_ENVIRONMENTS): string {
  return stringify({
    version: 1,
    environments: Object.fromEntries(
      environments.map((name, i) => [name, { branch: 'main', ...(i > 0 ? { after: environments[i - 1] } : {}) }]),
    ),
    projects: Array.from({ length: projects }, (_, i) => ({
      ...scaleProject(i),
      engine: 'command',
      environments: [...environments],
      command: { plan: 'echo noop > plan.out', planFile: 'plan.out', apply: 'true' },
    })),
    concurrency: 'queue',
    // What a user sets for their account: no more builds at once than CodeBuild runs and queues (here
    // the local CodeBuild's), so none is refused and retried.
    parallelism: localBuildCapacity(),
  });
}

/** The files of a scale repository: pushgate.yml and `filesPerProject` files in each project. */
export function scaleRepository(
  projects: number,
  options: { environments?: readonly string[]; filesPerProject?: number } = {},
): Record<string, string> {
  const files: Record<string, string> = { 'pushgate.yml': scaleConfig(projects, options.environments) };
  for (let i = 0; i < projects; i++) {
    for (let f = 0; f < (options.filesPerProject ?? 1); f++) files[`${scaleProject(i).dir}/f${f}.txt`] = `${i} ${f}\n`;
  }
  return files;
}
