import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildspecFor } from '../../../functions/lib/engines/buildspec-for.ts';
import type { BuildTarget, EngineOptions } from '../../../functions/lib/engines/engine-types.ts';
import { startS3, type RunningS3 } from '../../helpers/s3.ts';
import { run, targetOf, validConfig } from './engine-fixtures.ts';
import { artifactKey, artifactUrls, runBuildspec } from './run-buildspec.ts';

/**
 * Runs generated buildspecs for real with bash, with the terraform stand-in of test/fixtures/bin and
 * the local CodeBuild's aws stand-in (assume-role) first on PATH (neither tool can be installed
 * here). The artifacts go to a local S3 through presigned URLs, as the workflow passes them, with
 * the real curl: the builds themselves get no S3 endpoint nor credentials for it.
 */
const config = validConfig();
const PLAN_FIXTURE = new URL('../../fixtures/terraform-plans/basic.json', import.meta.url);
const SESSION = `pushgate-${run.runId}`;
const PLAN_ROLE = 'arn:aws:iam::123456789012:role/pushgate-plan-staging';
const APPLY_ROLE = 'arn:aws:iam::123456789012:role/pushgate-apply-staging';
/** What CodeBuild gives a container for its own (the runner's) role. */
const CONTAINER_CREDENTIALS = '/v2/credentials/build-project-role';

let root: string;
let log: string;
let s3: RunningS3;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pushgate-buildspec-'));
  log = join(root, 'tool.log');
  // A fresh bucket for every test: what a test finds in it, its builds put there.
  s3 = await startS3();
});

afterEach(async () => {
  await s3.stop();
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

/** The overrides the workflow gives a build of `target`: its artifact URLs, then `extra`. */
async function overrides(
  source: string,
  target: BuildTarget,
  build: 'plan' | 'apply',
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    CODEBUILD_SRC_DIR: source,
    FAKE_TERRAFORM_LOG: log,
    ...(await artifactUrls(s3, target, build)),
    ...extra,
  };
}

/** The object's bytes in the local S3, undefined when there is none. */
async function stored(target: BuildTarget, file: 'plan.bin' | 'plan.json' | 'plan.txt'): Promise<Buffer | undefined> {
  try {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: artifactKey(target, file) }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

async function storedOrFail(target: BuildTarget, file: 'plan.bin' | 'plan.json' | 'plan.txt'): Promise<Buffer> {
  const bytes = await stored(target, file);
  if (!bytes) throw new Error(`${artifactKey(target, file)} is not in S3`);
  return bytes;
}

/** Every key in the bucket. */
async function storedKeys(): Promise<string[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const toolLog = async () => (existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : []);
const terraformRuns = async () => (await toolLog()).filter((line) => line.startsWith('terraform'));
/** A presigned URL is a credential: a build never prints one. */
const printsNoUrl = (result: { stdout: string; stderr: string }) =>
  expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/X-Amz-Signature|X-Amz-Credential/i);

describe('terraform buildspecs, run with bash', () => {
  const { target, options } = targetOf(config, 'network', 'staging');
  const { plan, apply } = buildspecFor(target, options, run, false);

  it('plan validates, plans and uploads plan.bin and plan.json to their presigned URLs', async () => {
    const result = await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // terraform only: no role to assume, and no aws s3 (the upload is curl's).
    expect(await toolLog()).toEqual([
      'terraform init -input=false -no-color',
      'terraform workspace select -or-create staging',
      'terraform validate -no-color',
      'terraform plan -input=false -no-color -lock-timeout=5m -out=plan.bin -var-file=envs/staging.tfvars',
      'terraform show -json plan.bin',
      'terraform show -no-color plan.bin',
    ]);
    expect(await storedKeys()).toEqual([
      artifactKey(target, 'plan.bin'),
      artifactKey(target, 'plan.json'),
      artifactKey(target, 'plan.txt'),
    ]);
    expect((await storedOrFail(target, 'plan.json')).toString()).toBe(await readFile(PLAN_FIXTURE, 'utf8'));
    const planBytes = await storedOrFail(target, 'plan.bin');
    expect(planBytes).toEqual(await readFile(join(root, 'plan/infra/network/plan.bin')));
    expect(result.stdout).toContain(`plan.bin sha256 ${sha256(planBytes)}`);
    expect(result.stdout).toContain('plan.bin uploaded');
    expect(result.stdout).toContain('plan.json uploaded');
    expect(result.stdout).toContain('plan.txt uploaded');
    // The stand-in prints the same document for every `show`: what matters is that plan.txt is its output.
    expect((await storedOrFail(target, 'plan.txt')).toString()).toBe(await readFile(PLAN_FIXTURE, 'utf8'));
    expect(result.stdout).not.toContain('assumed role');
    printsNoUrl(result);
  });

  it('plan exports the sha256 of exactly the plan.bin and plan.json that arrived in S3', async () => {
    const result = await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'));
    expect(result.code).toBe(0);
    expect(result.exported).toEqual({
      PUSHGATE_PLAN_SHA256: sha256(await storedOrFail(target, 'plan.bin')),
      PUSHGATE_PLAN_JSON_SHA256: sha256(await storedOrFail(target, 'plan.json')),
      PUSHGATE_PLAN_TXT_SHA256: sha256(await storedOrFail(target, 'plan.txt')),
    });
    expect(result.exported.PUSHGATE_PLAN_SHA256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('plan exports the sha256 of its own plan, whatever the environment held before', async () => {
    const stale = 'f'.repeat(64);
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', {
        FAKE_TERRAFORM_PLAN: 'no_changes',
        PUSHGATE_PLAN_SHA256: stale,
      }),
    );
    expect(result.code).toBe(0);
    const uploaded = sha256(await storedOrFail(target, 'plan.bin'));
    expect(result.exported.PUSHGATE_PLAN_SHA256).toBe(uploaded);
    expect(uploaded).not.toBe(stale);
  });

  it('a failing plan uploads nothing', async () => {
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', { FAKE_TERRAFORM_FAIL: 'plan' }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: No valid credential sources found');
    expect(result.stdout).not.toContain('uploaded');
    expect(await storedKeys()).toEqual([]);
  });

  it('a failing terraform validate stops before the plan', async () => {
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', { FAKE_TERRAFORM_FAIL: 'validate' }),
    );
    expect(result.code).toBe(1);
    expect((await toolLog()).some((line) => line.startsWith('terraform plan'))).toBe(false);
    expect(await storedKeys()).toEqual([]);
  });

  it('a refused upload fails the plan, which then exports no sha256', async () => {
    const urls = await artifactUrls(s3, target, 'plan');
    // Signed by someone else: the local S3, like S3, answers 403.
    const forged = urls.PUSHGATE_PLAN_BIN_URL!.replace(
      /X-Amz-Signature=[0-9a-f]+/,
      `X-Amz-Signature=${'0'.repeat(64)}`,
    );
    expect(forged).not.toBe(urls.PUSHGATE_PLAN_BIN_URL);
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', { PUSHGATE_PLAN_BIN_URL: forged }),
    );
    expect(result.code).toBe(22); // curl --fail: an HTTP error
    expect(result.stderr).toMatch(/curl: \(22\).*403/);
    expect(result.stdout).not.toContain('uploaded');
    expect(result.exported).toEqual({});
    expect(await storedKeys()).toEqual([]);
    printsNoUrl(result);
  });

  it('plan cannot upload through a download URL', async () => {
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', await artifactUrls(s3, target, 'apply')),
    );
    expect(result.code).toBe(22);
    expect(await storedKeys()).toEqual([]);
  });

  it('apply downloads plan.bin from its presigned URL and applies exactly the reviewed plan', async () => {
    expect((await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'))).code).toBe(0);
    const planBytes = await storedOrFail(target, 'plan.bin');
    const reviewed = sha256(planBytes);
    await rm(log);

    const source = await checkout('apply');
    const result = await runBuildspec(
      apply!,
      await overrides(source, target, 'apply', { PUSHGATE_PLAN_SHA256: reviewed }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('plan.bin downloaded');
    expect(result.stdout).toContain(`plan artifact verified: sha256 ${reviewed}`);
    expect(result.stdout).not.toContain('assumed role');
    expect(await readFile(join(source, 'infra/network/plan.bin'))).toEqual(planBytes);
    expect(await toolLog()).toEqual([
      'terraform init -input=false -no-color',
      'terraform workspace select -or-create staging',
      'terraform apply -input=false -no-color -lock-timeout=5m plan.bin',
    ]);
    expect(existsSync(join(source, 'infra/network', `applied-${reviewed}`))).toBe(true);
    printsNoUrl(result);
  });

  it('apply refuses a plan artifact whose sha256 differs, before terraform runs at all', async () => {
    expect((await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'))).code).toBe(0);
    const actual = sha256(await storedOrFail(target, 'plan.bin'));
    await rm(log);
    const expected = 'f'.repeat(64);

    const source = await checkout('apply');
    const result = await runBuildspec(
      apply!,
      await overrides(source, target, 'apply', { PUSHGATE_PLAN_SHA256: expected }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`plan artifact changed since it was reviewed: expected ${expected} got ${actual}`);
    expect(await terraformRuns()).toEqual([]);
    expect((await readdir(join(source, 'infra/network'))).filter((name) => name.startsWith('applied-'))).toEqual([]);
  });

  it('apply checks what is in S3 now: an object replaced since the review is refused', async () => {
    expect((await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'))).code).toBe(0);
    const reviewed = sha256(await storedOrFail(target, 'plan.bin'));
    await rm(log);
    const replaced = Buffer.from('PK\u0003\u0004another plan');
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: artifactKey(target, 'plan.bin'), Body: replaced }),
    );

    const source = await checkout('apply');
    const result = await runBuildspec(
      apply!,
      await overrides(source, target, 'apply', { PUSHGATE_PLAN_SHA256: reviewed }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('plan.bin downloaded');
    expect(result.stderr).toContain(
      `plan artifact changed since it was reviewed: expected ${reviewed} got ${sha256(replaced)}`,
    );
    expect(await terraformRuns()).toEqual([]);
  });

  it('apply refuses when no reviewed sha256 was given', async () => {
    expect((await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'))).code).toBe(0);
    await rm(log);
    const result = await runBuildspec(apply!, await overrides(await checkout('apply'), target, 'apply'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('plan artifact changed since it was reviewed: expected (none) got');
    expect(await terraformRuns()).toEqual([]);
  });

  it('apply fails, before terraform, when plan.bin cannot be downloaded', async () => {
    // No plan build ran: the object does not exist.
    const result = await runBuildspec(
      apply!,
      await overrides(await checkout('apply'), target, 'apply', { PUSHGATE_PLAN_SHA256: 'f'.repeat(64) }),
    );
    expect(result.code).toBe(22);
    expect(result.stderr).toMatch(/curl: \(22\).*404/);
    expect(result.stdout).not.toContain('plan.bin downloaded');
    expect(result.stderr).not.toContain('plan artifact');
    expect(await terraformRuns()).toEqual([]);
    printsNoUrl(result);
  });
});

describe("builds take on the environment's role first", () => {
  /**
   * A command project whose plan and apply record the AWS variables they see (exported ones only:
   * `env` lists what a tool would get), the plan in the plan file it uploads.
   */
  function recordingTarget(roles: BuildTarget['roles']): { target: BuildTarget; options: EngineOptions } {
    const { target, options } = targetOf(config, 'dns', 'prod');
    const project = {
      ...options.project,
      command: {
        plan: `mkdir -p out && (env | grep '^AWS_' | sort || true) > out/dns.plan`,
        apply: `(env | grep '^AWS_' | sort || true) > applied-env.txt`,
        planFile: 'out/dns.plan',
      },
    };
    return { target: { ...target, roles }, options: { ...options, project } };
  }

  const variablesOf = (text: string): Record<string, string> =>
    Object.fromEntries(
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );

  /** The container's own credentials, as CodeBuild gives them; the role's replace them. */
  const container = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: CONTAINER_CREDENTIALS };

  it('plan and apply each assume their own role, and the following commands get its session exported', async () => {
    const { target, options } = recordingTarget({ plan: PLAN_ROLE, apply: APPLY_ROLE });
    const { plan, apply } = buildspecFor(target, options, run, false);

    const planned = await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan', container));
    expect(planned.code).toBe(0);
    expect(planned.stderr).toBe(`local aws stand-in: assume-role ${PLAN_ROLE} as ${SESSION}\n`);
    expect(planned.stdout.split('\n')[0]).toBe(`assumed role ${PLAN_ROLE}`);
    const planBytes = await storedOrFail(target, 'plan.bin');
    const seenByPlan = variablesOf(planBytes.toString());
    expect(seenByPlan.AWS_SESSION_TOKEN).toBe(`local-session:${SESSION}:${PLAN_ROLE}`);
    expect(seenByPlan.AWS_ACCESS_KEY_ID).toBeTruthy();
    expect(seenByPlan.AWS_SECRET_ACCESS_KEY).toBeTruthy();
    // No falling back to the runner's role.
    expect(seenByPlan).not.toHaveProperty('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
    expect(planned.exported).toEqual({
      PUSHGATE_PLAN_SHA256: sha256(planBytes),
      PUSHGATE_PLAN_TXT_SHA256: sha256(await storedOrFail(target, 'plan.txt')),
    });

    const source = await checkout('apply');
    const applied = await runBuildspec(
      apply!,
      await overrides(source, target, 'apply', { ...container, PUSHGATE_PLAN_SHA256: sha256(planBytes) }),
    );
    expect(applied.code).toBe(0);
    expect(applied.stderr).toBe(`local aws stand-in: assume-role ${APPLY_ROLE} as ${SESSION}\n`);
    expect(applied.stdout.split('\n')[0]).toBe(`assumed role ${APPLY_ROLE}`);
    const seenByApply = variablesOf(await readFile(join(source, 'dns/applied-env.txt'), 'utf8'));
    expect(seenByApply.AWS_SESSION_TOKEN).toBe(`local-session:${SESSION}:${APPLY_ROLE}`);
    expect(seenByApply).not.toHaveProperty('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
  });

  it('a terraform build assumes the role before terraform runs', async () => {
    const { target, options } = targetOf(config, 'network', 'staging');
    const withRoles = { ...target, roles: { plan: PLAN_ROLE, apply: APPLY_ROLE } };
    const { plan } = buildspecFor(withRoles, options, run, true);
    const result = await runBuildspec(plan, await overrides(await checkout('plan'), withRoles, 'plan', container));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`local aws stand-in: assume-role ${PLAN_ROLE} as ${SESSION}\n`);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`assumed role ${PLAN_ROLE}`);
    expect(lines.indexOf('Terraform has been successfully initialized!')).toBeGreaterThan(0);
    expect(await storedKeys()).toEqual([
      artifactKey(target, 'plan.bin'),
      artifactKey(target, 'plan.json'),
      artifactKey(target, 'plan.txt'),
    ]);
  });

  it('with no role, nothing is assumed: the commands keep the container credentials', async () => {
    const { target, options } = recordingTarget({ plan: '', apply: '' });
    const { plan, apply } = buildspecFor(target, options, run, false);

    const planned = await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan', container));
    expect(planned.code).toBe(0);
    expect(planned.stderr).toBe('');
    expect(planned.stdout).not.toContain('assumed role');
    const planBytes = await storedOrFail(target, 'plan.bin');
    expect(variablesOf(planBytes.toString())).toEqual({
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: CONTAINER_CREDENTIALS,
    });

    const source = await checkout('apply');
    const applied = await runBuildspec(
      apply!,
      await overrides(source, target, 'apply', { ...container, PUSHGATE_PLAN_SHA256: sha256(planBytes) }),
    );
    expect(applied.code).toBe(0);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).not.toContain('assumed role');
    expect(variablesOf(await readFile(join(source, 'dns/applied-env.txt'), 'utf8'))).toEqual({
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: CONTAINER_CREDENTIALS,
    });
  });

  it('each build assumes only its own role: a plan role alone leaves apply on its own credentials, and the reverse', async () => {
    const cases = [
      { roles: { plan: PLAN_ROLE, apply: '' }, planLog: PLAN_ROLE, applyLog: undefined },
      { roles: { plan: '', apply: APPLY_ROLE }, planLog: undefined, applyLog: APPLY_ROLE },
    ];
    for (const [index, { roles, planLog, applyLog }] of cases.entries()) {
      const { target, options } = recordingTarget(roles);
      const { plan, apply } = buildspecFor(target, options, run, false);
      const assumed = (role: string | undefined) =>
        role === undefined ? '' : `local aws stand-in: assume-role ${role} as ${SESSION}\n`;

      const planned = await runBuildspec(
        plan,
        await overrides(await checkout(`plan-${index}`), target, 'plan', container),
      );
      expect(planned.code).toBe(0);
      expect(planned.stderr).toBe(assumed(planLog));
      const planBytes = await storedOrFail(target, 'plan.bin');
      expect(variablesOf(planBytes.toString()).AWS_SESSION_TOKEN).toBe(
        planLog === undefined ? undefined : `local-session:${SESSION}:${planLog}`,
      );

      const source = await checkout(`apply-${index}`);
      const applied = await runBuildspec(
        apply!,
        await overrides(source, target, 'apply', { ...container, PUSHGATE_PLAN_SHA256: sha256(planBytes) }),
      );
      expect(applied.code).toBe(0);
      expect(applied.stderr).toBe(assumed(applyLog));
      expect(variablesOf(await readFile(join(source, 'dns/applied-env.txt'), 'utf8')).AWS_SESSION_TOKEN).toBe(
        applyLog === undefined ? undefined : `local-session:${SESSION}:${applyLog}`,
      );
    }
  });

  it('an invalid role ARN fails the plan before any terraform command, uploading nothing', async () => {
    const { target, options } = targetOf(config, 'network', 'staging');
    const withRoles = { ...target, roles: { plan: 'pushgate-plan', apply: APPLY_ROLE } };
    const { plan } = buildspecFor(withRoles, options, run, true);
    const result = await runBuildspec(plan, await overrides(await checkout('plan'), withRoles, 'plan', container));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('pushgate-plan is not a valid role ARN');
    expect(result.stdout).not.toContain('assumed role');
    expect(await terraformRuns()).toEqual([]);
    expect(await storedKeys()).toEqual([]);
    expect(result.exported).toEqual({});
  });

  it('an invalid apply role ARN fails the apply before the download and any terraform command', async () => {
    const { target, options } = targetOf(config, 'network', 'staging');
    const withRoles = { ...target, roles: { plan: '', apply: 'arn:aws:iam::not-an-account:role/apply' } };
    const { plan, apply } = buildspecFor(withRoles, options, run, false);
    expect((await runBuildspec(plan, await overrides(await checkout('plan'), withRoles, 'plan'))).code).toBe(0);
    const reviewed = sha256(await storedOrFail(withRoles, 'plan.bin'));
    await rm(log);

    const source = await checkout('apply');
    const result = await runBuildspec(
      apply!,
      await overrides(source, withRoles, 'apply', { ...container, PUSHGATE_PLAN_SHA256: reviewed }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('arn:aws:iam::not-an-account:role/apply is not a valid role ARN');
    expect(result.stdout).not.toContain('plan.bin downloaded');
    expect(existsSync(join(source, 'infra/network/plan.bin'))).toBe(false);
    expect(await terraformRuns()).toEqual([]);
    expect((await readdir(join(source, 'infra/network'))).filter((name) => name.startsWith('applied-'))).toEqual([]);
  });
});

describe('command buildspecs, run with bash', () => {
  it('carry the plan file from plan to apply through S3 and name it in PUSHGATE_PLAN_FILE', async () => {
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
    const planned = await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'));
    expect(planned.code).toBe(0);
    const planBytes = await storedOrFail(target, 'plan.bin');
    expect(planBytes.toString()).toBe('records: 2 for prod');
    // No planJson: plan.bin is uploaded (and the plan command's output as plan.txt), though the workflow presigned plan.json too.
    expect(await storedKeys()).toEqual([artifactKey(target, 'plan.bin'), artifactKey(target, 'plan.txt')]);
    expect(await stored(target, 'plan.json')).toBeUndefined();
    expect(planned.exported).toEqual({
      PUSHGATE_PLAN_SHA256: sha256(planBytes),
      PUSHGATE_PLAN_TXT_SHA256: sha256(await storedOrFail(target, 'plan.txt')),
    });

    const source = await checkout('apply');
    const result = await runBuildspec(
      apply!,
      await overrides(source, target, 'apply', { PUSHGATE_PLAN_SHA256: sha256(planBytes) }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('plan.bin downloaded');
    expect(await readFile(join(source, 'dns/applied.txt'), 'utf8')).toBe('records: 2 for prod');
  });

  it('fail the plan when the plan command wrote no plan file', async () => {
    const { target, options } = targetOf(config, 'dns', 'prod');
    const project = { ...options.project, command: { plan: 'true', apply: 'true', planFile: 'out/dns.plan' } };
    const { plan } = buildspecFor(target, { ...options, project }, run, true);
    const result = await runBuildspec(plan, await overrides(await checkout('plan'), target, 'plan'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the plan command did not write out/dns.plan');
    expect(await storedKeys()).toEqual([]);
  });
});

describe('plan.txt, the plan as the tool prints it', () => {
  const { target, options } = targetOf(config, 'network', 'staging');
  const { plan } = buildspecFor(target, options, run, true);

  it('a refused plan.txt upload does not fail the plan: its sha256 is then empty', async () => {
    const urls = await artifactUrls(s3, target, 'plan');
    const forged = urls.PUSHGATE_PLAN_TXT_URL!.replace(
      /X-Amz-Signature=[0-9a-f]+/,
      `X-Amz-Signature=${'0'.repeat(64)}`,
    );
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', { PUSHGATE_PLAN_TXT_URL: forged }),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('plan.txt was not uploaded');
    expect(result.exported).toEqual({
      PUSHGATE_PLAN_SHA256: sha256(await storedOrFail(target, 'plan.bin')),
      PUSHGATE_PLAN_JSON_SHA256: sha256(await storedOrFail(target, 'plan.json')),
      PUSHGATE_PLAN_TXT_SHA256: '',
    });
    expect(await stored(target, 'plan.txt')).toBeUndefined();
    printsNoUrl(result);
  });

  it('without a plan.txt URL (a workflow that presigns none) the plan uploads the other two, quietly', async () => {
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', { PUSHGATE_PLAN_TXT_URL: '' }),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(await storedKeys()).toEqual([artifactKey(target, 'plan.bin'), artifactKey(target, 'plan.json')]);
    expect(result.exported.PUSHGATE_PLAN_TXT_SHA256).toBe('');
  });

  it('a failing plan renders and uploads no plan.txt', async () => {
    const result = await runBuildspec(
      plan,
      await overrides(await checkout('plan'), target, 'plan', { FAKE_TERRAFORM_FAIL: 'plan' }),
    );
    expect(result.code).toBe(1);
    expect((await toolLog()).filter((line) => line.startsWith('terraform show'))).toEqual([]);
    expect(await storedKeys()).toEqual([]);
  });

  it("a command plan's failure is the step's, even with its output copied to plan.txt", async () => {
    const { target: dns, options: dnsOptions } = targetOf(config, 'dns', 'prod');
    const project = {
      ...dnsOptions.project,
      command: { plan: 'echo "planning dns"; false', apply: 'true', planFile: 'out/dns.plan' },
    };
    const { plan: failing } = buildspecFor(dns, { ...dnsOptions, project }, run, true);
    const result = await runBuildspec(failing, await overrides(await checkout('plan'), dns, 'plan'));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('planning dns');
    expect(await storedKeys()).toEqual([]);
  });

  it("a command plan's cd and exports hold for the commands after it, and its output is plan.txt", async () => {
    const { target: dns, options: dnsOptions } = targetOf(config, 'dns', 'prod');
    const project = {
      ...dnsOptions.project,
      command: {
        plan: 'export ZONE=example.org; mkdir -p out && printf "%s" "$ZONE" > out/dns.plan && printf "\\033[32m+ record www.%s\\033[0m\\n" "$ZONE"',
        apply: 'true',
        planFile: 'out/dns.plan',
      },
    };
    const { plan: planning } = buildspecFor(dns, { ...dnsOptions, project }, run, true);
    const result = await runBuildspec(planning, await overrides(await checkout('plan'), dns, 'plan'));
    expect(result.code).toBe(0);
    expect((await storedOrFail(dns, 'plan.bin')).toString()).toBe('example.org');
    // As the tool printed it (colours and all): readers strip the escapes.
    expect((await storedOrFail(dns, 'plan.txt')).toString()).toBe('\u001b[32m+ record www.example.org\u001b[0m\n');
  });
});
