import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildspecFor } from '../../../functions/lib/engines/buildspec-for.ts';
import { run, targetOf, validConfig } from './engine-fixtures.ts';
import { runBuildspec } from './run-buildspec.ts';

/**
 * Runs generated buildspecs for real with bash, with the terraform and aws stand-ins of
 * test/fixtures/bin first on PATH (neither tool can be installed here); S3 is a local directory.
 */
const config = validConfig();
const PLAN_FIXTURE = new URL('../../fixtures/terraform-plans/basic.json', import.meta.url);

let root: string;
let s3: string;
let log: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pushgate-buildspec-'));
  s3 = join(root, 's3');
  log = join(root, 'tool.log');
  await mkdir(s3);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh checkout of the example repository, as CodeBuild clones one for every build. */
async function checkout(name: string): Promise<string> {
  const source = join(root, name);
  await mkdir(join(source, 'infra/network/envs'), { recursive: true });
  await writeFile(join(source, 'infra/network/main.tf'), 'resource "null_resource" "fake" {}\n');
  await writeFile(join(source, 'infra/network/envs/staging.tfvars'), 'replicas = 2\n');
  await mkdir(join(source, 'dns'), { recursive: true });
  return source;
}

function overrides(source: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CODEBUILD_SRC_DIR: source,
    PUSHGATE_ARTIFACT_BUCKET: 'artifacts',
    FAKE_S3_DIR: s3,
    FAKE_TERRAFORM_LOG: log,
    FAKE_AWS_LOG: log,
    ...extra,
  };
}

const artifact = (target: { artifactPrefix: string }, file: string) =>
  join(s3, 'artifacts', target.artifactPrefix, file);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const toolLog = async () => (existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : []);

describe('terraform buildspecs, run with bash', () => {
  const { target, options } = targetOf(config, 'network', 'staging');
  const { plan, apply } = buildspecFor(target, options, run, false);

  it('plan validates, plans and uploads plan.bin and plan.json', async () => {
    const result = await runBuildspec(plan, overrides(await checkout('plan')));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await toolLog()).toEqual([
      'terraform init -input=false -no-color',
      'terraform workspace select -or-create staging',
      'terraform validate -no-color',
      'terraform plan -input=false -no-color -lock-timeout=5m -out=plan.bin -var-file=envs/staging.tfvars',
      'terraform show -json plan.bin',
      `aws s3 cp plan.bin s3://artifacts/runs/${run.runId}/network/staging/plan.bin`,
      `aws s3 cp plan.json s3://artifacts/runs/${run.runId}/network/staging/plan.json`,
    ]);
    expect(await readFile(artifact(target, 'plan.json'), 'utf8')).toBe(await readFile(PLAN_FIXTURE, 'utf8'));
    const planBytes = await readFile(artifact(target, 'plan.bin'));
    expect(result.stdout).toContain(`plan.bin sha256 ${sha256(planBytes)}`);
  });

  it('plan exports the sha256 of exactly the plan.bin and plan.json it uploaded', async () => {
    const result = await runBuildspec(plan, overrides(await checkout('plan')));
    expect(result.code).toBe(0);
    expect(result.exported).toEqual({
      PUSHGATE_PLAN_SHA256: sha256(await readFile(artifact(target, 'plan.bin'))),
      PUSHGATE_PLAN_JSON_SHA256: sha256(await readFile(artifact(target, 'plan.json'))),
    });
    expect(result.exported.PUSHGATE_PLAN_SHA256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('plan exports the sha256 of its own plan, whatever the environment held before', async () => {
    const stale = 'f'.repeat(64);
    const result = await runBuildspec(
      plan,
      overrides(await checkout('plan'), { FAKE_TERRAFORM_PLAN: 'no_changes', PUSHGATE_PLAN_SHA256: stale }),
    );
    expect(result.code).toBe(0);
    const uploaded = sha256(await readFile(artifact(target, 'plan.bin')));
    expect(result.exported.PUSHGATE_PLAN_SHA256).toBe(uploaded);
    expect(uploaded).not.toBe(stale);
  });

  it('a failing plan uploads nothing', async () => {
    const result = await runBuildspec(plan, overrides(await checkout('plan'), { FAKE_TERRAFORM_FAIL: 'plan' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: No valid credential sources found');
    expect(await readdir(s3)).toEqual([]);
  });

  it('a failing terraform validate stops before the plan', async () => {
    const result = await runBuildspec(plan, overrides(await checkout('plan'), { FAKE_TERRAFORM_FAIL: 'validate' }));
    expect(result.code).toBe(1);
    expect((await toolLog()).some((line) => line.startsWith('terraform plan'))).toBe(false);
    expect(await readdir(s3)).toEqual([]);
  });

  it('apply with the reviewed sha256 applies exactly that plan', async () => {
    expect((await runBuildspec(plan, overrides(await checkout('plan')))).code).toBe(0);
    const reviewed = sha256(await readFile(artifact(target, 'plan.bin')));
    await rm(log);

    const source = await checkout('apply');
    const result = await runBuildspec(apply!, overrides(source, { PUSHGATE_PLAN_SHA256: reviewed }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`plan artifact verified: sha256 ${reviewed}`);
    expect(await toolLog()).toEqual([
      `aws s3 cp s3://artifacts/runs/${run.runId}/network/staging/plan.bin plan.bin`,
      'terraform init -input=false -no-color',
      'terraform workspace select -or-create staging',
      'terraform apply -input=false -no-color -lock-timeout=5m plan.bin',
    ]);
    expect(existsSync(join(source, 'infra/network', `applied-${reviewed}`))).toBe(true);
  });

  it('apply refuses a plan artifact whose sha256 differs, before terraform runs at all', async () => {
    expect((await runBuildspec(plan, overrides(await checkout('plan')))).code).toBe(0);
    const actual = sha256(await readFile(artifact(target, 'plan.bin')));
    await rm(log);
    const expected = 'f'.repeat(64);

    const source = await checkout('apply');
    const result = await runBuildspec(apply!, overrides(source, { PUSHGATE_PLAN_SHA256: expected }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`plan artifact changed since it was reviewed: expected ${expected} got ${actual}`);
    expect((await toolLog()).filter((line) => line.startsWith('terraform'))).toEqual([]);
    expect((await readdir(join(source, 'infra/network'))).filter((name) => name.startsWith('applied-'))).toEqual([]);
  });

  it('apply refuses when no reviewed sha256 was given', async () => {
    expect((await runBuildspec(plan, overrides(await checkout('plan')))).code).toBe(0);
    await rm(log);
    const result = await runBuildspec(apply!, overrides(await checkout('apply')));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('plan artifact changed since it was reviewed: expected (none) got');
    expect((await toolLog()).filter((line) => line.startsWith('terraform'))).toEqual([]);
  });
});

describe('command buildspecs, run with bash', () => {
  it('carry the plan file from plan to apply and name it in PUSHGATE_PLAN_FILE', async () => {
    const { target, options } = targetOf(config, 'dns', 'prod');
    const project = {
      ...options.project,
      command: {
        plan: `mkdir -p out && printf 'records: 2 for %s' "$PUSHGATE_ENVIRONMENT" > out/dns.plan`,
        apply: 'cp "$PUSHGATE_PLAN_FILE" applied.txt',
        planFile: 'out/dns.plan',
      },
    };
    const { plan, apply } = buildspecFor(target, { ...options, project }, run, false);
    const planned = await runBuildspec(plan, overrides(await checkout('plan')));
    expect(planned.code).toBe(0);
    const planBytes = await readFile(artifact(target, 'plan.bin'));
    expect(planBytes.toString()).toBe('records: 2 for prod');
    expect(existsSync(artifact(target, 'plan.json'))).toBe(false);
    expect(planned.exported).toEqual({ PUSHGATE_PLAN_SHA256: sha256(planBytes) });

    const source = await checkout('apply');
    const result = await runBuildspec(apply!, overrides(source, { PUSHGATE_PLAN_SHA256: sha256(planBytes) }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await readFile(join(source, 'dns/applied.txt'), 'utf8')).toBe('records: 2 for prod');
  });

  it('fail the plan when the plan command wrote no plan file', async () => {
    const { target, options } = targetOf(config, 'dns', 'prod');
    const project = { ...options.project, command: { plan: 'true', apply: 'true', planFile: 'out/dns.plan' } };
    const { plan } = buildspecFor(target, { ...options, project }, run, true);
    const result = await runBuildspec(plan, overrides(await checkout('plan')));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the plan command did not write out/dns.plan');
    expect(await readdir(s3)).toEqual([]);
  });
});
