import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '../../../local/http/loopback-server.ts';

// `pushgate validate` as a user runs it, before a push: a real process on real files; the platform
// policy from --policy-file, from SSM (a loopback stand-in answering GetParameter through the AWS SDK,
// as AWS_ENDPOINT_URL_SSM points it), and in a git pre-push hook written as the help shows it.
const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
let dir: string;
let ssm: LoopbackServer;
const parameterRequests: string[] = [];

const VALID = `version: 1
environments:
  staging: { branch: main }
  prod:
    branch: main
    after: staging
projects:
  - { name: network, dir: net, engine: terraform, environments: [staging, prod] }
  - { name: app, dir: app, engine: terraform, environments: [staging, prod] }
  - { name: dns, dir: dns, engine: terraform, environments: [prod] }
`;

const INVALID = `version: 1
environments:
  staging: { branch: main, after: qa }
projects:
  - name: network
    dir: net
    engine: terraformx
    environments: [staging]
`;

/** Deploys staging from main; prod only from release (so a prod mapped to main is refused). */
const POLICY = `version: 1
repositories:
  - repos: ['acme/*']
    environments:
      staging: { applyRole: 'arn:aws:iam::123456789012:role/deploy' }
      prod: { applyRole: 'arn:aws:iam::123456789012:role/deploy', branches: [release] }
`;

const REFUSAL = 'the platform policy deploys prod only from release, not from main';

async function pushgate(
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const merged: NodeJS.ProcessEnv = { ...process.env, PUSHGATE_REPO: 'acme/infra', ...env };
  // No policy reachable unless a test gives one: not the shell's stage, policy or local stack.
  for (const name of ['PUSHGATE_STAGE', 'PUSHGATE_POLICY', 'POLICY_PARAMETER', 'AWS_ENDPOINT_URL_DYNAMODB']) {
    if (!(name in env)) delete merged[name];
  }
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete merged[name];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: dir, env: merged }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pushgate-validate-'));
  await writeFile(join(dir, 'pushgate.yml'), VALID);
  await writeFile(join(dir, 'invalid.yml'), INVALID);
  await writeFile(join(dir, 'policy.yml'), POLICY);
  // SSM's JSON protocol, GetParameter only: the policy under /pushgate/prod/policy, nothing else.
  ssm = await listenOnLoopback((req, res) => {
    void readBody(req).then((body) => {
      const { Name } = JSON.parse(body.toString()) as { Name: string };
      parameterRequests.push(`${String(req.headers['x-amz-target'])} ${Name}`);
      if (Name === '/pushgate/prod/policy') {
        sendJson(res, 200, { Parameter: { Name, Type: 'String', Value: POLICY, Version: 1 } });
      } else {
        sendJson(res, 400, { __type: 'ParameterNotFound', message: `${Name} not found` });
      }
    });
  });
});
afterAll(async () => {
  await ssm?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('pushgate validate', () => {
  it('exits 0 for a valid file and says the policy was not checked when none is reachable', async () => {
    const { code, stdout, stderr } = await pushgate(['validate']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')).toEqual([
      'pushgate.yml is valid: 3 projects, 2 environments',
      'the platform policy was not checked: no platform policy reachable: pass --stage <stage> (or set PUSHGATE_STAGE) to read /pushgate/<stage>/policy, or --policy-file <path>',
      '',
    ]);
  });

  it('exits 1 listing every problem at its line and column, and as JSON', async () => {
    const text = await pushgate(['validate', 'invalid.yml']);
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n').slice(0, 3)).toEqual([
      'invalid.yml:3:28 environments.staging.after: "qa" is not a defined environment (defined: staging)',
      'invalid.yml:7:5 projects[0].engine: expected one of terraform, opentofu, cloudformation, command; got "terraformx"',
      'invalid.yml has 2 problems',
    ]);

    const json = await pushgate(['validate', 'invalid.yml', '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      valid: boolean;
      problems: { path: string; line: number; column: number; message: string }[];
    };
    expect(report.valid).toBe(false);
    expect(report.problems).toEqual([
      {
        path: 'environments.staging.after',
        line: 3,
        column: 28,
        message: '"qa" is not a defined environment (defined: staging)',
      },
      {
        path: 'projects[0].engine',
        line: 7,
        column: 5,
        message: 'expected one of terraform, opentofu, cloudformation, command; got "terraformx"',
      },
    ]);
  });

  it('reads standard input with -', async () => {
    const { code, stdout } = await pushgate(['validate', '-', '--json'], {}, 'version: 1\nenvironments: [\n');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { problems: { path: string; line: number | null }[] };
    expect(report.problems.length).toBeGreaterThan(0);
    expect(report.problems[0]).toMatchObject({ path: '' });
    expect(report.problems[0]!.line).toBeGreaterThan(0);
  });

  it('exits 2 with the usage line for a file that is not there', async () => {
    const { code, stdout, stderr } = await pushgate(['validate', 'missing.yml']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    const [message, usage] = stderr.split('\n');
    expect(message).toMatch(/^pushgate validate: no such file missing\.yml: /);
    expect(usage).toMatch(/^usage: pushgate validate \[file\] /);
    const policy = await pushgate(['validate', '--policy-file', 'nope.yml']);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toMatch(/^pushgate validate: cannot read the policy file nope\.yml: no such file\n/);
  });

  it('exits 1 with the reason when the policy (a file) refuses an environment', async () => {
    const { code, stdout } = await pushgate(['validate', '--policy-file', 'policy.yml', '--default-branch', 'main']);
    expect(code).toBe(1);
    expect(stdout.split('\n')).toEqual([
      `pushgate.yml:5:5 environments.prod.branch: ${REFUSAL}`,
      'pushgate.yml has 1 problem',
      'checked against the platform policy policy.yml for acme/infra (default branch main)',
      '',
    ]);
    // Another repository has no rule: every environment is refused, and the report says so.
    const other = await pushgate(['validate', '--policy-file', 'policy.yml', '--repo', 'other/infra', '--json']);
    const report = JSON.parse(other.stdout) as { valid: boolean; problems: { message: string }[] };
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => p.message)).toContain(
      'other/infra is not in the platform policy (policy.yml): an operator adds it under repositories',
    );
  });

  it('reads the policy of a stage from SSM, as Validate does', async () => {
    const env = {
      AWS_ENDPOINT_URL_SSM: ssm.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    };
    const { code, stdout } = await pushgate(['validate', '--stage', 'prod', '--default-branch', 'main', '--json'], env);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { problems: { path: string; message: string }[]; policy: object };
    expect(report.problems).toEqual([expect.objectContaining({ path: 'environments.prod.branch', message: REFUSAL })]);
    expect(report.policy).toEqual({
      checked: true,
      source: '/pushgate/prod/policy',
      repo: 'acme/infra',
      defaultBranch: 'main',
    });
    expect(parameterRequests).toContain('AmazonSSM.GetParameter /pushgate/prod/policy');

    // A stage without a policy: said, the rest checked, not a failure of the file.
    const none = await pushgate(['validate', '--default-branch', 'main'], { ...env, PUSHGATE_STAGE: 'qa' });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(
      'the platform policy was not checked: there is no platform policy in /pushgate/qa/policy',
    );
  });

  it('works as the pre-push hook its help shows: a push with a broken pushgate.yml is refused', async () => {
    const git = (cwd: string, ...args: string[]) =>
      promisify(execFile)('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd });
    const remote = join(dir, 'remote.git');
    const clone = join(dir, 'clone');
    const bin = join(dir, 'bin');
    await git(dir, 'init', '--quiet', '--bare', remote);
    await git(dir, 'init', '--quiet', '-b', 'main', clone);
    await git(clone, 'remote', 'add', 'origin', remote);
    // `pushgate` on PATH, as an installed CLI is.
    await mkdir(bin);
    await writeFile(join(bin, 'pushgate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    await chmod(join(bin, 'pushgate'), 0o755);
    const help = await pushgate(['validate', '--help']);
    const hook = help.stdout.slice(help.stdout.indexOf('#!/bin/sh')).replace(/^ {2}/gm, '');
    await writeFile(join(clone, '.git', 'hooks', 'pre-push'), hook);
    await chmod(join(clone, '.git', 'hooks', 'pre-push'), 0o755);
    const push = () =>
      promisify(execFile)('git', ['push', '--quiet', 'origin', 'main'], {
        cwd: clone,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, PUSHGATE_REPO: 'acme/infra' },
      }).then(
        () => ({ code: 0, stderr: '', stdout: '' }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    await writeFile(join(clone, 'pushgate.yml'), INVALID);
    await git(clone, 'add', 'pushgate.yml');
    await git(clone, 'commit', '--quiet', '-m', 'broken');
    const refused = await push();
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('pushgate.yml:7:5 projects[0].engine: expected one of');

    await writeFile(join(clone, 'pushgate.yml'), VALID);
    await git(clone, 'commit', '--quiet', '-am', 'fixed');
    const accepted = await push();
    expect(accepted.code).toBe(0);
  });
});
