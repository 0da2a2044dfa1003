import { describe, expect, it } from 'vitest';
import { buildCompute } from '../../../functions/lib/engines/build-compute.ts';
import { loadTargets } from '../../../functions/lib/run/load-targets.ts';
import { RunObjectMissingError, type RunObjects } from '../../../functions/lib/run/run-objects.ts';
import { CHUNK_TARGETS, stageRun } from '../../../functions/lib/run/stage-run.ts';
import {
  StagedRun,
  TargetChunk,
  type RunRequest,
  type RunSettings,
  type TargetSpec,
  type ValidatedRun,
} from '../../../functions/lib/workflow/contract.ts';

// Validate's state output (stage-run.ts) and its reader in a child execution (load-targets.ts), on an
// in-memory bucket: what goes to S3, what the state keeps, and that the state stays small.

const RUN: RunRequest = {
  runId: '01STAGE',
  deliveryId: 'd-1',
  kind: 'push',
  repo: 'acme/infra',
  ref: 'refs/heads/main',
  branch: 'main',
  sha: 'a'.repeat(40),
  actor: 'octocat',
  receivedAt: '2026-12-01T00:00:00.000Z',
};
const settings = (parallelism = 20): RunSettings => ({
  planOnly: false,
  concurrency: 'queue',
  leaseSeconds: 600,
  sourceLocation: 'https://github.com/acme/infra.git',
  queuePosition: `2026-12-01T00:00:00.000Z#01STAGE`,
  parallelism,
});

/** A target whose buildspecs are as long as a CloudFormation target's (about 4 KiB). */
function target(project: string, environment: string, extra: Partial<TargetSpec> = {}): TargetSpec {
  return {
    project,
    environment,
    engine: 'terraform',
    dir: `projects/${project}`,
    after: environment === 'prod' ? ['staging'] : [],
    approval: { required: false, approvers: [], timeoutSeconds: 86400, allowSelfApproval: false },
    buildspec: {
      plan: `version: 0.2\n# plan ${project} ${environment}\n${'x'.repeat(2000)}\n`,
      apply: `version: 0.2\n# apply ${project} ${environment}\n${'y'.repeat(2000)}\n`,
    },
    artifactPrefix: `runs/01STAGE/${project}/${environment}`,
    definition: 'd'.repeat(64),
    roles: { plan: '', apply: 'arn:aws:iam::111111111111:role/deploy' },
    compute: { plan: buildCompute('lambda'), apply: buildCompute('lambda') },
    ...extra,
  };
}

function validated(waves: TargetSpec[][], parallelism?: number): ValidatedRun {
  return { run: RUN, settings: settings(parallelism), waves, targetCount: waves.flat().length };
}

function memoryBucket(bucket: string): RunObjects & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    bucket,
    objects,
    async put(key, body) {
      objects.set(key, body);
    },
    async get(key) {
      const body = objects.get(key);
      if (body === undefined) throw new RunObjectMissingError(`${key} does not exist`);
      return body;
    },
  };
}

const projects = (n: number, environment: string) => Array.from({ length: n }, (_, i) => target(`p${i}`, environment));

describe('stageRun', () => {
  it('keeps one small wave in the state, with buildspecs replaced by their S3 objects', async () => {
    const chunks = memoryBucket('artifacts');
    const buildspecs = memoryBucket('buildspecs');
    const staged = StagedRun.parse(await stageRun(validated([projects(3, 'staging')]), { chunks, buildspecs }));
    expect(staged.waves).toEqual([]);
    expect(staged.targets).toHaveLength(3);
    expect(chunks.objects.size).toBe(0);
    for (const spec of staged.targets!) {
      for (const arn of [spec.buildspec.plan, spec.buildspec.apply!]) {
        expect(arn).toMatch(/^arn:aws:s3:::buildspecs\/buildspecs\/[0-9a-f]{64}\.yml$/);
        expect(buildspecs.objects.get(arn.slice('arn:aws:s3:::buildspecs/'.length))).toMatch(/^version: 0\.2/);
      }
    }
  });

  it('stores a buildspec once however many targets share it', async () => {
    const buildspecs = memoryBucket('buildspecs');
    const same = { plan: 'version: 0.2\n', apply: 'version: 0.2\n' };
    await stageRun(
      validated([[target('a', 'staging', { buildspec: same }), target('b', 'staging', { buildspec: same })]]),
      { chunks: memoryBucket('artifacts'), buildspecs },
    );
    expect(buildspecs.objects.size).toBe(1);
  });

  it('cuts 1,000 projects × 2 environments into chunks of 50 in S3; the state keeps a few KiB of references', async () => {
    const chunks = memoryBucket('artifacts');
    const buildspecs = memoryBucket('buildspecs');
    const run = validated([projects(1000, 'staging'), projects(1000, 'prod')]);
    const staged = StagedRun.parse(await stageRun(run, { chunks, buildspecs }));
    expect(staged.targets).toBeUndefined();
    expect(staged.waves.map((wave) => wave.chunks.length)).toEqual([20, 20]);
    // Before: every target with its buildspecs, about 8.5 MB here.
    expect(Buffer.byteLength(JSON.stringify(run))).toBeGreaterThan(8_000_000);
    expect(Buffer.byteLength(JSON.stringify(staged))).toBeLessThan(16 * 1024);
    expect(buildspecs.objects.size).toBe(4000);
    const stored = staged.waves.flatMap((wave) => wave.chunks);
    expect(stored.map((chunk) => chunk.name)).toContain('01STAGE-w1-c19');
    let count = 0;
    for (const chunk of stored) {
      const body = chunks.objects.get(chunk.key)!;
      expect(Buffer.byteLength(body)).toBeLessThan(160 * 1024);
      const { targets } = TargetChunk.parse(JSON.parse(body));
      expect(targets).toHaveLength(chunk.targets);
      expect(targets.length).toBeLessThanOrEqual(CHUNK_TARGETS);
      count += targets.length;
    }
    expect(count).toBe(2000);
  });

  it('runs a wave at most `parallelism` targets at once, across its chunks', async () => {
    for (const [parallelism, chunk, wave] of [
      [20, 20, 1],
      [120, 50, 2],
      [5, 5, 1],
      [1, 1, 1],
    ] as const) {
      const staged = await stageRun(validated([projects(200, 'staging'), projects(1, 'prod')], parallelism), {
        chunks: memoryBucket('a'),
        buildspecs: memoryBucket('b'),
      });
      const first = staged.waves[0]!;
      expect(first.chunks.every((c) => c.concurrency === chunk)).toBe(true);
      expect(first.concurrency).toBe(wave);
      expect(first.concurrency * chunk).toBeLessThanOrEqual(parallelism);
    }
  });

  it('a run with no target has neither targets nor waves, and keeps why it was skipped', async () => {
    const staged = await stageRun(
      { ...validated([]), skipped: 'nothing changed' },
      { chunks: memoryBucket('a'), buildspecs: memoryBucket('b') },
    );
    expect(staged).toMatchObject({ waves: [], targetCount: 0, skipped: 'nothing changed' });
    expect(staged.targets).toBeUndefined();
  });
});

describe('loadTargets', () => {
  async function staged() {
    const chunks = memoryBucket('artifacts');
    const run = await stageRun(validated([projects(60, 'staging'), projects(1, 'prod')]), {
      chunks,
      buildspecs: memoryBucket('b'),
    });
    return { chunks, refs: run.waves.flatMap((wave) => wave.chunks) };
  }

  it('returns the chunk the reference names, with its concurrency', async () => {
    const { chunks, refs } = await staged();
    const loaded = await loadTargets({ runId: '01STAGE', chunk: refs[1]! }, chunks);
    expect(loaded.targets.map((t) => t.project)).toEqual(
      projects(60, 'staging')
        .slice(50)
        .map((t) => t.project),
    );
    expect(loaded).toMatchObject({ concurrency: refs[1]!.concurrency, chunk: refs[1] });
  });

  it("refuses another run's chunk, a chunk of another size, and one that is not there", async () => {
    const { chunks, refs } = await staged();
    await expect(loadTargets({ runId: '01OTHER', chunk: refs[0]! }, chunks)).rejects.toMatchObject({
      name: 'StepInputError',
    });
    await expect(loadTargets({ runId: '01STAGE', chunk: { ...refs[0]!, targets: 3 } }, chunks)).rejects.toMatchObject({
      name: 'StepInputError',
    });
    await expect(
      loadTargets({ runId: '01STAGE', chunk: { ...refs[0]!, key: 'runs/01STAGE/chunks/w9-c9.json' } }, chunks),
    ).rejects.toBeInstanceOf(RunObjectMissingError);
    chunks.objects.set(refs[0]!.key, 'not json');
    await expect(loadTargets({ runId: '01STAGE', chunk: refs[0]! }, chunks)).rejects.toMatchObject({
      name: 'StepInputError',
    });
  });
});
