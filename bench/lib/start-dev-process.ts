import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BenchError } from './bench-error.ts';
import type { DevReadyInfo } from '../../local/dev-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** The line `pushgate dev --json` prints on stdout once it is ready (cli/commands/dev.ts). */
export type { DevReadyInfo };

export interface DevProcess {
  info: DevReadyInfo;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  /** SIGTERM, then waits for the exit; SIGKILL only if it has not exited after 15 s. */
  stop(): Promise<void>;
}

/** Starts `pushgate dev --json --port 0` as a user would, and resolves once it printed its ready line. */
export async function startDevProcess(): Promise<DevProcess> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['cli/bin.js', 'dev', '--json', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // Progress goes to stderr: drained (a full pipe would stall the child), its tail kept for errors.
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
  });
  const stdout = createInterface({ input: child.stdout });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited.catch(() => undefined);
    clearTimeout(timer);
  };

  const exitedEarly = exited.then(([code, signal]): never => {
    throw new BenchError(`pushgate dev exited (${signal ?? code}) before it was ready:\n${stderrTail.join('\n')}`);
  });
  // Only the race below cares; the exit at stop() must not become an unhandled rejection.
  exitedEarly.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    const line = await Promise.race([
      once(stdout, 'line').then(([first]) => first as string),
      exitedEarly,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new BenchError(`pushgate dev was not ready after ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
      }),
    ]);
    const readyMs = performance.now() - startedAt;
    // Later stdout lines (none are expected) are read and dropped.
    stdout.on('line', () => undefined);
    return { info: JSON.parse(line) as DevReadyInfo, readyMs, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
