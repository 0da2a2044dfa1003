import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { BenchError } from './bench-error.ts';
import { summarizeTimes, type TimeSummary } from './summarize-times.ts';

export interface ColdImport {
  /** `await import(bundle)` in a fresh process: what a Lambda cold start spends on the handler module. */
  imported: TimeSummary;
  /**
   * CPU time (user + system) of that import. On a busy machine the wall time above waits for a core;
   * the CPU time hardly does, so it is the steadier figure to compare variants by.
   */
  importCpu: TimeSummary;
  /** Import, then one call of `handler(event)` (when an event is given): the deferred work of the first request. */
  firstCall?: TimeSummary;
  /** Spawn to exit of the whole process. */
  process: TimeSummary;
}

export interface ColdImportTarget {
  file: string;
  /** Passed to the module's `handler` after the import; its answer must be a 2xx statusCode. */
  event?: unknown;
}

export interface ColdImportOptions {
  runs: number;
  env: NodeJS.ProcessEnv;
}

const CHILD = `
const cpu = process.cpuUsage();
const started = performance.now();
const module = await import(process.env.BENCH_MODULE);
const imported = performance.now() - started;
const used = process.cpuUsage(cpu);
const importCpu = (used.user + used.system) / 1000;
let firstCall;
if (process.env.BENCH_EVENT) {
  const answer = await module.handler(JSON.parse(process.env.BENCH_EVENT), undefined);
  firstCall = performance.now() - started;
  if (!(answer?.statusCode >= 200 && answer.statusCode < 300)) throw new Error('handler answered ' + JSON.stringify(answer));
}
process.stdout.write('\\n' + JSON.stringify({ imported, importCpu, firstCall }) + '\\n');
`;

interface Sample {
  imported: number;
  importCpu: number;
  firstCall?: number;
  wall: number;
}

/** One fresh `node` process importing `target.file` (and calling its handler with `target.event`). */
async function sample(target: ColdImportTarget, env: NodeJS.ProcessEnv): Promise<Sample> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: {
      ...env,
      BENCH_MODULE: pathToFileURL(target.file).href,
      ...(target.event === undefined ? {} : { BENCH_EVENT: JSON.stringify(target.event) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wall = performance.now() - startedAt;
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new BenchError(
      `importing ${target.file} failed (exit ${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  return { ...(JSON.parse(last) as Omit<Sample, 'wall'>), wall };
}

/**
 * Medians of `runs` fresh `node` processes importing each target, taken in turns (A, B, C, A, B, C, …)
 * so that a change in the machine's load falls on every target alike. The figures are this
 * machine's; only their ratios to an empty module measured among them mean something elsewhere.
 */
export async function coldImports(
  targets: readonly ColdImportTarget[],
  options: ColdImportOptions,
): Promise<ColdImport[]> {
  const samples: Sample[][] = targets.map(() => []);
  for (let i = 0; i < options.runs; i++) {
    for (const [index, target] of targets.entries()) samples[index]!.push(await sample(target, options.env));
  }
  return samples.map((taken) => {
    const firstCalls = taken.flatMap((one) => (one.firstCall === undefined ? [] : [one.firstCall]));
    return {
      imported: summarizeTimes(taken.map((one) => one.imported)),
      importCpu: summarizeTimes(taken.map((one) => one.importCpu)),
      ...(firstCalls.length > 0 ? { firstCall: summarizeTimes(firstCalls) } : {}),
      process: summarizeTimes(taken.map((one) => one.wall)),
    };
  });
}
