import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchError } from './bench-error.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a TypeScript entry in a fresh Node process (through tsx, as `npm run bench` runs) and resolves
 * with the one message it sends over IPC. Its stdout and stderr are this process's.
 */
export function runInChild<T>(entry: URL, env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(entry)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: { value: T } | undefined;
    child.on('message', (message) => {
      result = { value: message as T };
    });
    child.on('error', (error) => reject(new BenchError(`could not start ${entry.pathname}`, { cause: error })));
    child.on('exit', (code, signal) => {
      if (result && code === 0) resolve(result.value);
      else
        reject(
          new BenchError(`${entry.pathname} ended with ${signal ?? `exit code ${code}`} before sending its figures`),
        );
    });
  });
}
