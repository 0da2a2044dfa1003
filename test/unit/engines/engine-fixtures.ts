import { readFileSync } from 'node:fs';
import type { PushgateConfig } from '../../../functions/lib/config/config-schema.ts';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';
import type { BuildTarget, EngineOptions } from '../../../functions/lib/engines/engine-types.ts';
import type { RunRequest } from '../../../functions/lib/workflow/contract.ts';

export const run: RunRequest = {
  runId: '01JRUN0000000000000000TEST',
  deliveryId: 'delivery-1',
  kind: 'push',
  repo: 'acme/infra',
  ref: 'refs/heads/main',
  branch: 'main',
  sha: 'a'.repeat(40),
  before: 'b'.repeat(40),
  actor: 'octocat',
  receivedAt: '2025-01-01T00:00:00.000Z',
};

export function validConfig(): PushgateConfig {
  const result = parseConfig(readFileSync(new URL('../../fixtures/configs/valid.yml', import.meta.url), 'utf8'));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

/** The target and engine options of one project × environment of test/fixtures/configs/valid.yml. */
export function targetOf(
  config: PushgateConfig,
  projectName: string,
  environment: string,
): { target: BuildTarget; options: EngineOptions } {
  const project = config.projects.find((candidate) => candidate.name === projectName);
  const environmentConfig = config.environments[environment];
  if (!project || !environmentConfig) throw new Error(`no ${projectName}/${environment} in the config`);
  return {
    target: {
      project: project.name,
      environment,
      engine: project.engine,
      dir: project.dir,
      after: [],
      approval: { required: false, approvers: [], timeoutSeconds: 86400, allowSelfApproval: false },
      artifactPrefix: `runs/${run.runId}/${project.name}/${environment}`,
      definition: 'definition-sha256',
      // No role from a platform policy: the build project's own.
      roles: { plan: '', apply: '' },
    },
    options: { project, environment: environmentConfig },
  };
}
