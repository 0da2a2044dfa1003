import { createHash } from 'node:crypto';
import type { ChunkRef, StagedRun, TargetChunk, TargetSpec, ValidatedRun, WaveRef } from '../workflow/contract.ts';
import { eachLimited } from '../each-limited.ts';
import type { RunObjects } from './run-objects.ts';

/** The most targets one child execution runs: ~40 history events each, far below 25,000 per execution. */
export const CHUNK_TARGETS = 50;
/**
 * The most bytes of one chunk's JSON: LoadTargets returns it as its result, and a state's data must stay
 * under Step Functions' 256 KiB. A target without its buildspecs is about 1 KiB.
 */
export const CHUNK_BYTES = 160 * 1024;
/**
 * The most bytes of a run's targets kept in its own state (a run of one wave): with each iteration's
 * data beside them, well under 256 KiB.
 */
export const INLINE_BYTES = 64 * 1024;
/** Buildspecs and chunks are written this many at a time. */
const PUT_CONCURRENCY = 32;

export interface StageStores {
  /** The artifact bucket: the run's chunks of targets, under runs/<runId>/chunks/. */
  chunks: Pick<RunObjects, 'put'>;
  /**
   * The buildspec bucket, which holds nothing else: the plan and apply builds' roles may read it
   * (CodeBuild fetches a BuildspecOverride from S3 with the project's role), never write it.
   */
  buildspecs: Pick<RunObjects, 'put' | 'bucket'>;
}

/**
 * Validate's state output from the domain's ValidatedRun. A run of one wave whose targets fit in
 * INLINE_BYTES (at most CHUNK_TARGETS) keeps them in its state, for the deploy state machine's own
 * Targets Map. Any other run's targets go to the artifact bucket and the state keeps references: each
 * wave is cut into chunks of at most CHUNK_TARGETS targets (and CHUNK_BYTES), stored at
 * `runs/<runId>/chunks/w<wave>-c<index>.json` and run as one child execution each. Each target's buildspecs become objects of the buildspec bucket named by their sha256
 * (`buildspecs/<sha256>.yml`), which CodeBuild reads through BuildspecOverride `arn:aws:s3:::<bucket>/<key>`: the same buildspec is
 * stored once however many runs use it, and a build can only name a buildspec it already knows.
 * `settings.parallelism` bounds the run's concurrent targets: a chunk runs at most
 * min(parallelism, its size) at once, and a wave at most ⌊parallelism / that⌋ chunks at once.
 * Safe to repeat (Validate's Retry): every key is derived from the run and the content.
 */
export async function stageRun(validated: ValidatedRun, stores: StageStores): Promise<StagedRun> {
  const { run, settings } = validated;
  const buildspecs = new Map<string, string>();
  const reference = (text: string) => {
    const key = `buildspecs/${createHash('sha256').update(text).digest('hex')}.yml`;
    buildspecs.set(key, text);
    return `arn:aws:s3:::${stores.buildspecs.bucket}/${key}`;
  };
  const staged = (target: TargetSpec): TargetSpec => ({
    ...target,
    buildspec: {
      plan: reference(target.buildspec.plan),
      ...(target.buildspec.apply === undefined ? {} : { apply: reference(target.buildspec.apply) }),
    },
  });

  const base = Buffer.byteLength(chunkBody({ run, settings, targets: [] }));
  const waves = validated.waves.filter((wave) => wave.length > 0).map((wave) => wave.map(staged));
  const putBuildspecs = () =>
    eachLimited([...buildspecs], PUT_CONCURRENCY, ([key, text]) =>
      stores.buildspecs.put(key, text, 'application/yaml'),
    );
  const skipped = validated.skipped === undefined ? {} : { skipped: validated.skipped };

  // One small wave runs in the run's own execution: no child execution, no extra transitions.
  if (waves.length === 1 && cut(waves[0]!, base, INLINE_BYTES).length === 1) {
    await putBuildspecs();
    return { run, settings, targets: waves[0]!, waves: [], targetCount: validated.targetCount, ...skipped };
  }

  const chunks: { ref: ChunkRef; body: string }[] = [];
  const refs: WaveRef[] = waves.map((wave, waveIndex) => {
    const chunkRefs = cut(wave, base, CHUNK_BYTES).map((targets, index): ChunkRef => {
      const ref: ChunkRef = {
        key: `runs/${run.runId}/chunks/w${waveIndex}-c${index}.json`,
        name: `${run.runId}-w${waveIndex}-c${index}`,
        wave: waveIndex,
        index,
        targets: targets.length,
        concurrency: Math.min(settings.parallelism, targets.length),
      };
      chunks.push({ ref, body: chunkBody({ run, settings, targets }) });
      return ref;
    });
    const widest = Math.max(...chunkRefs.map((ref) => ref.concurrency));
    return { chunks: chunkRefs, concurrency: Math.max(1, Math.floor(settings.parallelism / widest)) };
  });
  // Buildspecs first: a chunk is only ever read after every buildspec it names exists.
  await putBuildspecs();
  await eachLimited(chunks, PUT_CONCURRENCY, ({ ref, body }) => stores.chunks.put(ref.key, body, 'application/json'));
  return { run, settings, waves: refs, targetCount: validated.targetCount, ...skipped };
}

function chunkBody(chunk: TargetChunk): string {
  return JSON.stringify(chunk);
}

/**
 * Consecutive runs of targets, each at most CHUNK_TARGETS long and CHUNK_BYTES as a chunk (one target
 * at least): the chunk's JSON is its run and settings plus each target's JSON and a comma.
 */
function cut(targets: TargetSpec[], base: number, limit: number): TargetSpec[][] {
  const out: TargetSpec[][] = [];
  let current: TargetSpec[] = [];
  let bytes = base;
  for (const target of targets) {
    const size = Buffer.byteLength(JSON.stringify(target)) + 1;
    if (current.length > 0 && (current.length === CHUNK_TARGETS || bytes + size > limit)) {
      out.push(current);
      current = [];
      bytes = base;
    }
    current.push(target);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
