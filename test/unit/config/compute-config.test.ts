import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';

/** A pushgate.yml with one environment and one project; `env` and `project` are extra YAML lines. */
function configWith(options: { env?: string; project?: string; engine?: string } = {}): string {
  const engine = options.engine ?? 'terraform';
  return [
    'version: 1',
    'environments:',
    '  staging:',
    '    branch: main',
    ...(options.env ? [`    ${options.env}`] : []),
    'projects:',
    '  - name: net',
    '    dir: infra',
    `    engine: ${engine}`,
    '    environments: [staging]',
    ...(engine === 'command' ? ['    command: { plan: ./plan, apply: ./apply, planFile: plan.out }'] : []),
    ...(options.project ? [`    ${options.project}`] : []),
    '',
  ].join('\n');
}

function parsed(options: Parameters<typeof configWith>[0]) {
  const result = parseConfig(configWith(options));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return { environment: result.config.environments.staging!, project: result.config.projects[0]! };
}

function problems(options: Parameters<typeof configWith>[0]) {
  const result = parseConfig(configWith(options));
  if (result.ok) throw new Error('expected the config to be refused');
  return result.problems;
}

describe('compute in pushgate.yml', () => {
  it('is optional on environments and projects', () => {
    const { environment, project } = parsed({});
    expect(environment.compute).toBeUndefined();
    expect(project.compute).toBeUndefined();
  });

  it('one name means both builds; { plan, apply } sets them apart, either may be left out', () => {
    expect(parsed({ env: 'compute: lambda-4gb' }).environment.compute).toEqual({
      plan: 'lambda-4gb',
      apply: 'lambda-4gb',
    });
    expect(parsed({ project: 'compute: { plan: lambda, apply: medium }' }).project.compute).toEqual({
      plan: 'lambda',
      apply: 'medium',
    });
    expect(parsed({ project: 'compute: { apply: small }' }).project.compute).toEqual({ apply: 'small' });
  });

  it('an unknown name is refused at its path and line, listing the names', () => {
    expect(problems({ env: 'compute: lambda-3gb' })).toEqual([
      {
        path: 'environments.staging.compute',
        line: 5,
        message: expect.stringMatching(
          /^unknown compute "lambda-3gb": use one of lambda, lambda-1gb, .*, small, medium, large, xlarge$/,
        ),
      },
    ]);
    expect(problems({ project: 'compute: { plan: lambda, apply: huge }' })).toEqual([
      expect.objectContaining({
        path: 'projects[0].compute.apply',
        message: expect.stringContaining('unknown compute "huge"'),
      }),
    ]);
  });

  it('a misspelt build name and a value of the wrong type are refused', () => {
    expect(problems({ project: 'compute: { plan: lambda, aply: small }' })).toEqual([
      expect.objectContaining({ path: 'projects[0].compute.aply', message: 'unknown key' }),
    ]);
    expect(problems({ project: 'compute: 2' })).toEqual([
      expect.objectContaining({
        path: 'projects[0].compute',
        message: expect.stringContaining('or { plan, apply } with one each'),
      }),
    ]);
  });
});
