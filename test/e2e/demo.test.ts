import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { userEnv } from '../helpers/dev-process.ts';

// The demo exactly as a newcomer runs it: `npm run demo` in the checkout. It checks its own steps and
// says so in its exit code; here it must exit 0 and print the deployment history it ends with.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LIMIT_MS = 110_000;

describe('npm run demo', () => {
  it('exits 0 and prints the deployment history', async () => {
    // Its own process group, so that a demo that hangs is stopped whole.
    const child = spawn('npm', ['run', 'demo'], {
      cwd: ROOT,
      env: userEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // It ended just now.
      }
    }, LIMIT_MS);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    clearTimeout(timer);

    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/deployment history/i);
    // One line per deployment: when, what, which commit, which run.
    expect(output).toMatch(/^\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+\S+\s+[0-9a-f]{7}\s+run \S+/m);
  }, 120_000);
});
