import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { BenchError } from './bench-error.ts';

/** Milliseconds from spawning `command` to its exit, measured the way the `pushgate dev` start is. */
export async function timeProcess(command: string, args: string[]): Promise<number> {
  const startedAt = performance.now();
  const child = spawn(command, args, { stdio: 'ignore' });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  const elapsed = performance.now() - startedAt;
  if (code !== 0) throw new BenchError(`${command} ${args.join(' ')} ended with ${signal ?? `exit code ${code}`}`);
  return elapsed;
}
