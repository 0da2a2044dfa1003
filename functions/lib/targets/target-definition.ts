import { createHash } from 'node:crypto';
import type { EnvironmentConfig, ProjectConfig } from '../config/config-schema.ts';
import type { EnvironmentGrant } from '../policy/grant-environment.ts';

/**
 * sha256 of what a deployment of `project` to an environment is made of besides the files: the
 * engine and its options, the directory, the environment's variables and the roles the builds
 * assume. Which branches map, `after:`, approvals and `watch` decide when and how it deploys, not what,
 * so they are left out: changing them re-plans nothing. Recorded with each deployment; a run
 * re-plans the targets whose definition differs from the recorded one.
 */
export function targetDefinition(
  project: ProjectConfig,
  environment: EnvironmentConfig,
  grant: EnvironmentGrant,
): string {
  const { name, dir, engine, terraform, cloudformation, command } = project;
  const defining = {
    project: { name, dir, engine, terraform, cloudformation, command },
    variables: environment.variables ?? {},
    roles: grant.roles,
  };
  return createHash('sha256').update(canonicalJson(defining)).digest('hex');
}

/** JSON with object keys sorted, so that the same definition always hashes the same (written by hand: ten lines). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
