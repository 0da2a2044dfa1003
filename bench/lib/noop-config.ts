import { stringify } from 'yaml';

/** The one project of the benchmark repositories; its directory holds a file the pushes change. */
export const NOOP_PROJECT = { name: 'app', dir: 'app', environment: 'staging' } as const;

/**
 * pushgate.yml for one `command` project deployed to one environment without approval, whose plan
 * and apply do nothing but write and read a tiny plan: what is measured is pushgate, not a tool.
 * `noChanges` writes an empty pushgate-plan/1 document instead, so the run stops at no_changes.
 */
export function noopConfig(options: { noChanges?: boolean } = {}): string {
  const command = options.noChanges
    ? {
        plan: `echo '{"format":"pushgate-plan/1","changes":[]}' > plan.json`,
        planFile: 'plan.json',
        planJson: 'plan.json',
        apply: 'true',
      }
    : { plan: 'echo noop > plan.out', planFile: 'plan.out', apply: 'true' };
  return stringify({
    version: 1,
    environments: { [NOOP_PROJECT.environment]: { branch: 'main' } },
    projects: [
      {
        name: NOOP_PROJECT.name,
        dir: NOOP_PROJECT.dir,
        engine: 'command',
        environments: [NOOP_PROJECT.environment],
        command,
      },
    ],
    concurrency: 'queue',
  });
}

/** The files of a fresh benchmark repository; `version` is what later pushes change. */
export function noopRepository(options: { noChanges?: boolean } = {}): Record<string, string> {
  return { 'pushgate.yml': noopConfig(options), [`${NOOP_PROJECT.dir}/version`]: '0\n' };
}
