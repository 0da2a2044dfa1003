import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PlanArtifactMissingError, PlanFormatError, PlanIntegrityError } from '../../../functions/lib/plan/errors.ts';
import type { Engine } from '../../../functions/lib/engines/engine.ts';
import { summarize as summarizeTarget } from '../../../functions/lib/run/summarize.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import {
  WorkflowErrors,
  type RunRequest,
  type RunSettings,
  type SummarizeInput as SummarizeTargetInput,
  type TargetSpec,
} from '../../../functions/lib/workflow/contract.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { startS3, type RunningS3 } from '../../helpers/s3.ts';
import { buildCompute } from '../../../functions/lib/engines/build-compute.ts';

const TERRAFORM_PLANS = fileURLToPath(new URL('../../fixtures/terraform-plans/', import.meta.url));
const OWN_PLANS = fileURLToPath(new URL('../../fixtures/plans/', import.meta.url));
const SHA = 'a'.repeat(40);

let s3: RunningS3;
let dynamo: RunningDynalite;
let tableName: string;
let store: Store;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3(), startDynalite()]);
  tableName = await createTestTable(dynamo.client);
  store = createDynamoStore({ tableName, client: dynamo.client });
});

afterAll(async () => {
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

const settings = (planOnly = false): RunSettings => ({
  planOnly,
  concurrency: 'queue',
  leaseSeconds: 3600,
  sourceLocation: 'https://github.com/acme/infra.git',
  queuePosition: `2025-05-02T09:00:00.000Z#run`,
  parallelism: 20,
});

/** A run whose one target is `running`, as it is when the plan build has just finished. */
async function runningTarget(
  options: { engine?: Engine; approval?: boolean } = {},
): Promise<{ run: RunRequest; target: TargetSpec }> {
  const runId = randomUUID();
  const run: RunRequest = {
    runId,
    deliveryId: randomUUID(),
    kind: 'push',
    repo: 'acme/infra',
    ref: 'refs/heads/main',
    branch: 'main',
    sha: SHA,
    actor: 'octocat',
    receivedAt: '2025-05-02T09:00:00.000Z',
  };
  const target: TargetSpec = {
    project: 'network',
    environment: 'staging',
    engine: options.engine ?? 'terraform',
    dir: 'infra/network',
    after: [],
    approval: { required: options.approval ?? false, approvers: [], timeoutSeconds: 86400, allowSelfApproval: false },
    buildspec: { plan: 'version: 0.2', apply: 'version: 0.2' },
    artifactPrefix: `runs/${runId}/network/staging`,
    definition: 'definition-sha256',
    roles: { plan: '', apply: '' },
    compute: { plan: buildCompute('lambda'), apply: buildCompute('lambda') },
  };
  await store.createRun({
    runId,
    repo: run.repo,
    kind: run.kind,
    ref: run.ref,
    branch: run.branch,
    sha: SHA,
    actor: run.actor,
    deliveryId: run.deliveryId,
  });
  await store.putTarget({
    runId,
    repo: run.repo,
    project: target.project,
    environment: target.environment,
    status: 'running',
    sha: SHA,
  });
  return { run, target };
}

async function upload(key: string, body: Uint8Array | string): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
}

/** Uploads plan.bin (and plan.json unless null) and returns plan.bin's sha256. */
async function uploadPlan(
  target: TargetSpec,
  planJson: string | null,
  planBin: Uint8Array = randomBytes(4096),
): Promise<string> {
  await upload(`${target.artifactPrefix}/plan.bin`, planBin);
  if (planJson !== null) await upload(`${target.artifactPrefix}/plan.json`, planJson);
  return createHash('sha256').update(planBin).digest('hex');
}

const fixture = (path: string) => readFileSync(path, 'utf8');
const sha256Of = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** The Plan state's result, with CodeBuild's exported variables as Step Functions' `.sync` returns them. */
const planBuild = (exported?: Record<string, string>) => ({
  buildId: 'pushgate-dev-plan:0b8f7c1e-5d2a-4c43-9a51-1d2e3f4a5b6c',
  status: 'SUCCEEDED',
  ...(exported ? { exported: Object.entries(exported).map(([Name, Value]) => ({ Name, Value })) } : {}),
});
const deps = () => ({ s3: s3.client, bucket: s3.bucket, store });

describe('summarizeTarget (s3rver + dynalite)', () => {
  it('hashes plan.bin, records the summary on the target and sends a change without approval to Apply', async () => {
    const { run, target } = await runningTarget();
    // 3 MB, so the hash is taken over a stream of many chunks.
    const sha256 = await uploadPlan(target, fixture(`${TERRAFORM_PLANS}120_basic.json`), randomBytes(3 * 1024 * 1024));
    const input: SummarizeTargetInput = { run, settings: settings(), target };

    const planned = await summarizeTarget(input, deps());

    const summary = {
      add: 7,
      change: 0,
      destroy: 0,
      replace: 0,
      outputChanges: [
        'foo',
        'interpolated',
        'interpolated_deep',
        'list',
        'map',
        'referenced',
        'referenced_deep',
        'string',
      ],
      hasChanges: true,
    };
    expect(planned).toEqual({ summary, planSha256: sha256, next: 'apply' });
    expect(await store.getTarget(run.runId, 'network', 'staging')).toMatchObject({
      status: 'applying',
      summary,
      planSha256: sha256,
      planArtifactKey: `${target.artifactPrefix}/plan.bin`,
    });
  });

  it('a retried Summarize (its first write landed) succeeds with the same answer; a different plan is still refused', async () => {
    const { run, target } = await runningTarget();
    await uploadPlan(target, fixture(`${TERRAFORM_PLANS}basic.json`));
    const first = await summarizeTarget({ run, settings: settings(), target }, deps());
    expect(await summarizeTarget({ run, settings: settings(), target }, deps())).toEqual(first);
    await uploadPlan(target, fixture(`${TERRAFORM_PLANS}basic.json`));
    await expect(summarizeTarget({ run, settings: settings(), target }, deps())).rejects.toMatchObject({
      name: 'InvalidTransitionError',
    });
  });

  it('waits for approval when the environment requires it', async () => {
    const { run, target } = await runningTarget({ approval: true });
    await uploadPlan(target, fixture(`${TERRAFORM_PLANS}identity.json`));
    const planned = await summarizeTarget({ run, settings: settings(), target }, deps());
    expect(planned.next).toBe('approve');
    expect((await store.getTarget(run.runId, 'network', 'staging'))?.status).toBe('awaiting_approval');
  });

  it('stops at no_changes when the plan changes nothing, even with approval required', async () => {
    const { run, target } = await runningTarget({ approval: true });
    await uploadPlan(target, fixture(`${TERRAFORM_PLANS}no_changes.json`));
    const planned = await summarizeTarget({ run, settings: settings(), target }, deps());
    expect(planned.next).toBe('done');
    expect(planned.summary.hasChanges).toBe(false);
    expect((await store.getTarget(run.runId, 'network', 'staging'))?.status).toBe('no_changes');
  });

  it('stops at planned for a plan-only run', async () => {
    const { run, target } = await runningTarget();
    await uploadPlan(target, fixture(`${OWN_PLANS}cloudformation-change-set.json`));
    const planned = await summarizeTarget({ run, settings: settings(true), target }, deps());
    expect(planned.next).toBe('done');
    expect(planned.summary).toMatchObject({ add: 2, change: 3, destroy: 2, replace: 1 });
    expect((await store.getTarget(run.runId, 'network', 'staging'))?.status).toBe('planned');
  });

  it('never stores a sensitive value of the plan', async () => {
    const { run, target } = await runningTarget();
    await uploadPlan(target, fixture(`${TERRAFORM_PLANS}110_sensitive_values.json`));
    await summarizeTarget({ run, settings: settings(), target }, deps());
    // "bar" is the value of the plan's sensitive output `foo`.
    expect(JSON.stringify(await store.getTarget(run.runId, 'network', 'staging'))).not.toContain('bar');
  });

  it('reads a command target without plan.json from plan.bin alone: any output is a change', async () => {
    const changed = await runningTarget({ engine: 'command' });
    await uploadPlan(changed.target, null, Buffer.from('~ dns/records/example.com\n'));
    const planned = await summarizeTarget({ ...changed, settings: settings() }, deps());
    expect(planned).toMatchObject({
      summary: { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: true },
      next: 'apply',
    });

    const unchanged = await runningTarget({ engine: 'command' });
    const emptySha = await uploadPlan(unchanged.target, null, new Uint8Array(0));
    const nothing = await summarizeTarget({ ...unchanged, settings: settings() }, deps());
    expect(nothing).toEqual({
      summary: { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: false },
      planSha256: emptySha,
      next: 'done',
    });
    expect(emptySha).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('fails with PlanFormatError, and leaves the target running, when plan.json is missing or not a plan', async () => {
    const missing = await runningTarget();
    await uploadPlan(missing.target, null);
    const error = await summarizeTarget({ ...missing, settings: settings() }, deps()).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PlanFormatError);
    expect((error as Error).message).toBe(
      `${missing.target.artifactPrefix}/plan.json is missing: a terraform plan build must write it`,
    );
    expect((await store.getTarget(missing.run.runId, 'network', 'staging'))?.status).toBe('running');

    const invalid = await runningTarget();
    await uploadPlan(invalid.target, fixture(`${TERRAFORM_PLANS}invalid.json`));
    await expect(summarizeTarget({ ...invalid, settings: settings() }, deps())).rejects.toThrow(
      new RegExp(`^${invalid.target.artifactPrefix}/plan\\.json is not a plan: not valid JSON`),
    );
  });

  it('fails with PlanArtifactMissingError when the plan build uploaded no plan.bin', async () => {
    const { run, target } = await runningTarget();
    await upload(`${target.artifactPrefix}/plan.json`, fixture(`${TERRAFORM_PLANS}basic.json`));
    await expect(summarizeTarget({ run, settings: settings(), target }, deps())).rejects.toBeInstanceOf(
      PlanArtifactMissingError,
    );
  });
});

describe('summarizeTarget: the artifacts must be the ones the plan build uploaded', () => {
  /** A plan build's uploads and what it exported: the sha256 of both files. */
  async function planned(target: TargetSpec, planJson = fixture(`${TERRAFORM_PLANS}basic.json`)) {
    const planBin = randomBytes(2048);
    await uploadPlan(target, planJson, planBin);
    return { PUSHGATE_PLAN_SHA256: sha256Of(planBin), PUSHGATE_PLAN_JSON_SHA256: sha256Of(planJson) };
  }

  it('fails with PlanIntegrityError, recording nothing, when plan.bin was replaced after the build uploaded it', async () => {
    const { run, target } = await runningTarget({ approval: true });
    const exported = await planned(target);
    // Another run's plan build (same role, s3:PutObject on runs/*) swaps in its own plan.
    const swapped = Buffer.from('attacker plan');
    await upload(`${target.artifactPrefix}/plan.bin`, swapped);

    const error = await summarizeTarget(
      { run, settings: settings(), target, planBuild: planBuild(exported) },
      deps(),
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(PlanIntegrityError);
    expect((error as Error).name).toBe(WorkflowErrors.PlanIntegrity);
    expect((error as Error).message).toBe(
      `${target.artifactPrefix}/plan.bin changed between the plan build and its review: the build uploaded sha256 ${exported.PUSHGATE_PLAN_SHA256.slice(0, 12)}, the bucket holds ${sha256Of(swapped).slice(0, 12)}`,
    );
    const record = await store.getTarget(run.runId, 'network', 'staging');
    expect(record?.status).toBe('running');
    expect(record?.summary).toBeUndefined();
    expect(record?.planSha256).toBeUndefined();
  });

  it('fails with PlanIntegrityError when only plan.json, what the approver reads, was replaced', async () => {
    const { run, target } = await runningTarget({ approval: true });
    const exported = await planned(target, fixture(`${TERRAFORM_PLANS}has_changes.json`));
    await upload(`${target.artifactPrefix}/plan.json`, fixture(`${TERRAFORM_PLANS}no_changes.json`));

    await expect(
      summarizeTarget({ run, settings: settings(), target, planBuild: planBuild(exported) }, deps()),
    ).rejects.toThrow(
      new RegExp(
        `^${target.artifactPrefix}/plan\\.json changed between the plan build and its review: the build uploaded sha256 ${exported.PUSHGATE_PLAN_JSON_SHA256.slice(0, 12)}, `,
      ),
    );
    expect((await store.getTarget(run.runId, 'network', 'staging'))?.status).toBe('running');

    const deleted = await runningTarget();
    const deletedExported = await planned(deleted.target);
    await s3.client.send(
      new DeleteObjectCommand({ Bucket: s3.bucket, Key: `${deleted.target.artifactPrefix}/plan.json` }),
    );
    await expect(
      summarizeTarget({ ...deleted, settings: settings(), planBuild: planBuild(deletedExported) }, deps()),
    ).rejects.toBeInstanceOf(PlanIntegrityError);
  });

  it('summarizes and records the plan build when the artifacts are the ones it uploaded', async () => {
    const { run, target } = await runningTarget();
    const exported = await planned(target);
    const build = planBuild({ ...exported, PUSHGATE_PLAN_SHA256: exported.PUSHGATE_PLAN_SHA256.toUpperCase() });

    const result = await summarizeTarget({ run, settings: settings(), target, planBuild: build }, deps());

    expect(result).toMatchObject({ planSha256: exported.PUSHGATE_PLAN_SHA256, next: 'apply' });
    expect(await store.getTarget(run.runId, 'network', 'staging')).toMatchObject({
      status: 'applying',
      planSha256: exported.PUSHGATE_PLAN_SHA256,
      planBuildId: build.buildId,
    });
  });

  it('takes the artifacts as they are when the plan build exported nothing (a buildspec from before the export)', async () => {
    for (const build of [undefined, planBuild(), planBuild({})]) {
      const { run, target } = await runningTarget();
      const sha256 = await uploadPlan(target, fixture(`${TERRAFORM_PLANS}basic.json`));
      const result = await summarizeTarget(
        { run, settings: settings(), target, ...(build ? { planBuild: build } : {}) },
        deps(),
      );
      expect(result.planSha256).toBe(sha256);
      expect((await store.getTarget(run.runId, 'network', 'staging'))?.status).toBe('applying');
    }
  });

  it('ignores a plan.json that a build exporting only plan.bin did not upload', async () => {
    const { run, target } = await runningTarget({ engine: 'command' });
    const planBin = Buffer.from('~ dns/records/example.com\n');
    await uploadPlan(target, fixture(`${TERRAFORM_PLANS}no_changes.json`), planBin);

    const result = await summarizeTarget(
      { run, settings: settings(), target, planBuild: planBuild({ PUSHGATE_PLAN_SHA256: sha256Of(planBin) }) },
      deps(),
    );

    // Planted plan.json says "no changes"; the build's own plan.bin says otherwise.
    expect(result).toMatchObject({ summary: { hasChanges: true }, next: 'apply' });
  });

  it('fails with PlanIntegrityError when the build exported an empty or malformed sha256', async () => {
    for (const value of ['', 'not-a-sha']) {
      const { run, target } = await runningTarget();
      await planned(target);
      await expect(
        summarizeTarget(
          { run, settings: settings(), target, planBuild: planBuild({ PUSHGATE_PLAN_SHA256: value }) },
          deps(),
        ),
      ).rejects.toThrow(
        `${target.artifactPrefix}/plan.bin cannot be verified: its plan build exported no sha256 for it (${value === '' ? 'an empty value' : 'a malformed value'})`,
      );
      expect((await store.getTarget(run.runId, 'network', 'staging'))?.status).toBe('running');
    }
  });
});

describe('Summarize handler', () => {
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('reads its bucket, table and endpoints from the environment, and returns PlannedTarget', async () => {
    const env: Record<string, string> = {
      ...s3.env,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ARTIFACT_BUCKET: s3.bucket,
      TABLE_NAME: tableName,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const { handler } = await import('../../../functions/summarize/handler.ts');
    const { run, target } = await runningTarget({ approval: true });
    const sha256 = await uploadPlan(target, fixture(`${OWN_PLANS}pushgate-plan.json`));

    const planned = await handler({ run, settings: settings(), target });

    expect(planned).toEqual({
      summary: {
        add: 3,
        change: 1,
        destroy: 2,
        replace: 1,
        outputChanges: ['name_servers', 'zone_id'],
        hasChanges: true,
      },
      planSha256: sha256,
      next: 'approve',
    });
    expect((await store.getTarget(run.runId, 'network', 'staging'))?.planSha256).toBe(sha256);
    await expect(handler({ run })).rejects.toThrow(/^Summarize received an input it cannot use/);

    // The Plan state's result as the ASL passes it: the exported sha256 reaches the check.
    const swapped = await runningTarget();
    await uploadPlan(swapped.target, fixture(`${OWN_PLANS}pushgate-plan.json`));
    const event = { ...swapped, settings: settings(), planBuild: planBuild({ PUSHGATE_PLAN_SHA256: 'e'.repeat(64) }) };
    await expect(handler(event)).rejects.toMatchObject({ name: 'PlanIntegrityError' });
  });
});
