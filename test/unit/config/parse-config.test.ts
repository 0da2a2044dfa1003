import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../functions/lib/config/invalid-config-error.ts';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/configs/${name}`, import.meta.url), 'utf8');

function problemsOf(text: string) {
  const result = parseConfig(text);
  if (result.ok) throw new Error('expected problems, got a valid config');
  return result.problems;
}

const base = `version: 1
environments:
  staging: { branch: main }
projects:
  - { name: net, dir: infra/net, engine: terraform, environments: [staging] }
`;

describe('parseConfig', () => {
  it('reads a valid file, normalising what users write loosely', () => {
    const result = parseConfig(fixture('valid.yml'));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { config } = result;
    expect(config.concurrency).toBe('queue');
    expect(config.lockWaitMinutes).toBe(30);
    expect(config.environments.staging).toEqual({
      branch: ['main'],
      variables: { TF_VAR_replicas: '2' },
      // Drift checks by default: every 6 hours, tell only.
      drift: { schedule: { everyMinutes: 360 }, remediate: false, issue: false },
    });
    expect(config.environments.prod).toMatchObject({
      branch: ['main', 'release/*'],
      after: 'staging',
      approval: { required: true, approvers: ['octocat'] },
    });
    expect(config.projects.map((project) => [project.name, project.watch])).toEqual([
      ['network', ['infra/network/**', 'modules/**']],
      ['app', ['infra/app/**']],
      ['dns', ['dns/**']],
    ]);
  });

  it('defaults concurrency to queue and watch to <dir>/** (the whole repository for ".")', () => {
    const result = parseConfig(
      base.replace('dir: infra/net', 'dir: ./infra/net/') +
        '  - { name: root, dir: ., engine: opentofu, environments: [staging] }\n',
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.concurrency).toBe('queue');
    expect(result.config.projects.map((project) => [project.dir, project.watch])).toEqual([
      ['infra/net', ['infra/net/**']],
      ['.', ['**']],
    ]);
  });

  it('announces skipped runs in Slack only when notify.skipped is true (default false)', () => {
    const skippedOf = (text: string) => {
      const result = parseConfig(text);
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return result.config.notify.skipped;
    };
    expect(skippedOf(base)).toBe(false);
    expect(skippedOf(`${base}notify: {}\n`)).toBe(false);
    expect(skippedOf(`${base}notify: { skipped: true }\n`)).toBe(true);
    expect(problemsOf(`${base}notify: { skiped: true }\n`)).toMatchObject([{ path: 'notify.skiped', line: 6 }]);
    expect(problemsOf(`${base}notify: { skipped: yes please }\n`)).toMatchObject([{ path: 'notify.skipped' }]);
  });

  it('lists every schema and reference problem at once, with paths and lines', () => {
    expect(problemsOf(fixture('invalid.yml'))).toEqual([
      {
        path: 'environments.prod.after',
        message: '"stage" is not a defined environment (defined: staging, prod)',
        line: 6,
      },
      {
        path: 'projects[0].environments[2]',
        message: '"qa" is not a defined environment (defined: staging, prod)',
        line: 11,
      },
      { path: 'projects[1].name', message: 'duplicate project name "network" (also projects[0])', line: 12 },
      {
        path: 'projects[1].engine',
        message: 'expected one of terraform, opentofu, cloudformation, command; got "pulumi"',
        line: 14,
      },
      {
        path: 'projects[2].cloudformation',
        message: 'engine cloudformation needs a "cloudformation" block with at least "template"',
        line: 16,
      },
      { path: 'concurrency', message: 'expected one of queue, supersede; got "fast"', line: 20 },
    ]);
  });

  it('reports YAML syntax errors with their line and nothing else', () => {
    const problems = problemsOf(fixture('broken.yml'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '', line: 4 });
    expect(problems[0]!.message).toMatch(/Flow map/);
    expect(problemsOf('a: 1\na: 2\n')).toEqual([{ path: '', message: 'Map keys must be unique', line: 2 }]);
  });

  it('names unknown keys (typos) one by one, and missing fields as required', () => {
    expect(problemsOf(base.replace('environments:', 'enviroments:'))).toEqual([
      // A missing key is reported at its parent's line: here the document's first.
      { path: 'environments', message: 'required', line: 1 },
      { path: 'enviroments', message: 'unknown key', line: 2 },
    ]);
    expect(problemsOf(base + '  - name: web\n    engine: terraform\n')).toEqual([
      { path: 'projects[1].dir', message: 'required', line: 6 },
      { path: 'projects[1].environments', message: 'required', line: 6 },
    ]);
  });

  it('requires the options an engine needs, and refuses options for another engine', () => {
    const problems = problemsOf(`version: 1
environments: { staging: { branch: main } }
projects:
  - name: dns
    dir: dns
    engine: command
    environments: [staging]
    cloudformation: { template: t.yaml }
  - name: tool
    dir: tool
    engine: command
    environments: [staging]
    command: { plan: make plan }
`);
    expect(problems).toEqual([
      {
        path: 'projects[0].command',
        message: 'engine command needs a "command" block with "plan", "apply" and "planFile"',
        line: 4,
      },
      {
        path: 'projects[0].cloudformation',
        message: "only used by engine cloudformation; this project's engine is command",
        line: 8,
      },
      { path: 'projects[1].command.apply', message: 'required', line: 13 },
      { path: 'projects[1].command.planFile', message: 'required', line: 13 },
    ]);
  });

  it('finds after cycles, self references and approvals nobody can give', () => {
    const problems = problemsOf(`version: 1
environments:
  a: { branch: main, after: b }
  b: { branch: main, after: c }
  c: { branch: main, after: a }
  d: { branch: main, after: d }
  e: { branch: main, approval: { required: true } }
projects:
  - { name: net, dir: net, engine: terraform, environments: [a, a] }
`);
    expect(problems).toEqual([
      { path: 'environments.a.after', message: '"after" makes a cycle: a → b → c → a', line: 3 },
      { path: 'environments.d.after', message: 'an environment cannot come after itself', line: 6 },
      {
        path: 'environments.e.approval.approvers',
        message: 'approval is required but nobody may approve: list at least one GitHub login',
        line: 7,
      },
      { path: 'projects[0].environments[1]', message: '"a" is listed twice', line: 9 },
    ]);
  });

  it('restricts names and paths that end up in keys, URLs and shell commands', () => {
    const problems = problemsOf(`version: 1
environments:
  Prod: { branch: main, variables: { PUSHGATE_PROJECT: x, 1X: y } }
projects:
  - { name: "net work", dir: ../outside, engine: terraform, environments: [Prod] }
`);
    expect(problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'environments.Prod.variables.PUSHGATE_PROJECT: invalid name: names starting with PUSHGATE_ or CODEBUILD_ are reserved',
      'environments.Prod.variables["1X"]: invalid name: a variable name has letters, digits and "_" and does not start with a digit',
      'environments.Prod: invalid name: use lowercase letters, digits, "-" and "_", starting with a letter or digit',
      'projects[0].name: use lowercase letters, digits, "-" and "_", starting with a letter or digit',
      'projects[0].dir: must be a relative path inside the repository (no leading "/", no "..")',
      'projects[0].environments[0]: use lowercase letters, digits, "-" and "_", starting with a letter or digit',
    ]);
  });

  it('explains an empty file, a list and a wrong version', () => {
    expect(problemsOf('')).toEqual([{ path: '', message: 'the file is empty: start with "version: 1"' }]);
    expect(problemsOf('# nothing yet\n')).toEqual([
      { path: '', message: 'the file is empty: start with "version: 1"' },
    ]);
    expect(problemsOf('- a\n')).toEqual([{ path: '', message: 'expected a mapping, got a list', line: 1 }]);
    expect(problemsOf(base.replace('version: 1', 'version: 2'))[0]).toEqual({
      path: 'version',
      message: 'expected version: 1',
      line: 1,
    });
  });
});

describe('InvalidConfigError', () => {
  it('lists every problem on its own line, under a header naming the file', () => {
    const error = InvalidConfigError.fromProblems(problemsOf(fixture('invalid.yml')), 'pushgate.yml at 1a2b3c4');
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error.name).toBe('InvalidConfigError');
    expect(error.problems).toHaveLength(6);
    expect(error.message.split('\n')).toEqual([
      'pushgate.yml at 1a2b3c4 has 6 problems:',
      'environments.prod.after (line 6): "stage" is not a defined environment (defined: staging, prod)',
      'projects[0].environments[2] (line 11): "qa" is not a defined environment (defined: staging, prod)',
      'projects[1].name (line 12): duplicate project name "network" (also projects[0])',
      'projects[1].engine (line 14): expected one of terraform, opentofu, cloudformation, command; got "pulumi"',
      'projects[2].cloudformation (line 16): engine cloudformation needs a "cloudformation" block with at least "template"',
      'concurrency (line 20): expected one of queue, supersede; got "fast"',
    ]);
  });

  it('keeps the message readable when a file has very many problems', () => {
    const problems = Array.from({ length: 60 }, (_, index) => ({
      path: `projects[${index}].dir`,
      message: 'required',
    }));
    const lines = InvalidConfigError.fromProblems(problems).message.split('\n');
    expect(lines[0]).toBe('pushgate.yml has 60 problems:');
    expect(lines).toHaveLength(52);
    expect(lines.at(-1)).toBe('… and 10 more');
  });
});
