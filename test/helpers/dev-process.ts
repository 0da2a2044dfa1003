import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DevReadyInfo } from '../../local/dev-server.ts';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));

/** The ready line `pushgate dev --json` prints on stdout. */
export type DevInfo = DevReadyInfo;

export interface DevProcessOptions {
  /** `--data DIR`. */
  data?: string;
  /** `--repo owner/name`. */
  repo?: string;
  /** `--port N`; default 0 (any free port), or with `data` the port of the previous start when it is free. */
  port?: number;
  /** How long to wait for the ready line; default 30 s. */
  readyTimeoutMs?: number;
  /** How long SIGTERM may take to end it and everything it started; default 20 s. */
  stopTimeoutMs?: number;
  /** The `pushgate` executable to run (an installed one); default `node cli/bin.js` of this clone. */
  bin?: string;
  /** Where it runs; default the repository root. */
  cwd?: string;
}

export interface DevProcess {
  info: DevInfo;
  pid: number;
  /** Everything it printed on stderr so far: progress lines, Slack messages. */
  stderr(): string;
  /** What it printed on stdout after the ready line (it should be nothing but handler logs). */
  stdout(): string;
  /** SIGTERM, then throws unless it exited 0 and left no process of its own behind. */
  stop(): Promise<void>;
}

/** The child's exit, as `exit` reports it. */
interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Environment variables a test runner sets that a user's shell would not have. */
const RUNNER_ONLY = /^(VITEST.*|TEST|NODE_OPTIONS|AWS_ENDPOINT_URL.*)$/;

/** This process's environment without what the test runner added: what a user's shell would pass. */
export function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !RUNNER_ONLY.test(name)));
}

/**
 * Starts `pushgate dev --json` as a user would (`node cli/bin.js dev …`) and waits for its ready line.
 * With `--data` and no `port`, the webhook keeps the port of the previous start, as `pushgate dev` does.
 * The child leads its own process group, so that stop() can tell whether anything it started (the
 * esbuild service tsx runs, build shells, git) outlived it.
 */
export async function startDevProcess(options: DevProcessOptions = {}): Promise<DevProcess> {
  const args = ['dev', '--json'];
  if (options.port !== undefined || options.data === undefined) args.push('--port', String(options.port ?? 0));
  if (options.data !== undefined) args.push('--data', options.data);
  if (options.repo !== undefined) args.push('--repo', options.repo);
  const [command, commandArgs] = options.bin ? [options.bin, args] : [process.execPath, [BIN, ...args]];
  const child = spawn(command, commandArgs, {
    cwd: options.cwd ?? ROOT,
    env: userEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('pushgate dev did not start');
  // A test that fails before stop() must not leave a stack running after the test process ends.
  const killOnExit = () => killGroup(pid);
  process.once('exit', killOnExit);

  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );

  const lines = createInterface({ input: child.stdout! });
  let onReady: ((line: string) => void) | undefined;
  lines.on('line', (line) => {
    if (onReady) {
      const ready = onReady;
      onReady = undefined;
      ready(line);
    } else stdout += `${line}\n`;
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  let info: DevInfo;
  try {
    info = await new Promise<DevInfo>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`pushgate dev printed no ready line within ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      );
      onReady = (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as DevInfo);
        } catch (error) {
          reject(new Error(`the ready line is not JSON: ${line}`, { cause: error }));
        }
      };
      void exited.then((result) => {
        clearTimeout(timer);
        reject(new Error(`pushgate dev exited (${describe(result)}) before it was ready`));
      });
    });
  } catch (error) {
    killGroup(pid);
    await exited;
    process.off('exit', killOnExit);
    throw new Error(`${(error as Error).message}\n--- stderr ---\n${stderr}`, { cause: error });
  }

  return {
    info,
    pid,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop() {
      try {
        await stopChild(child, pid, exited, () => exit, options.stopTimeoutMs ?? 20_000);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- stderr ---\n${stderr.slice(-4000)}`, { cause: error });
      } finally {
        process.off('exit', killOnExit);
      }
    },
  };
}

async function stopChild(
  child: ChildProcess,
  pid: number,
  exited: Promise<Exit>,
  current: () => Exit | undefined,
  timeoutMs: number,
): Promise<void> {
  const early = current();
  if (early) throw new Error(`pushgate dev had already exited (${describe(early)}) before it was stopped`);
  // Everything it runs now (build shells lead their own groups), to check after it is gone.
  const started = await descendants(pid);
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    exited,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!result) {
    killGroup(pid);
    for (const survivor of started) killProcess(survivor);
    throw new Error(`pushgate dev did not stop within ${timeoutMs} ms of SIGTERM`);
  }
  if (result.code !== 0) throw new Error(`pushgate dev exited ${describe(result)} on SIGTERM, expected code 0`);

  // Its helpers end when it does (esbuild reads its closed stdin); give them that moment, no more.
  const deadline = Date.now() + 5_000;
  for (;;) {
    const left = (await processTable()).filter(
      (row) => !row.stat.startsWith('Z') && (row.pgid === pid || started.includes(row.pid)),
    );
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      killGroup(pid);
      for (const row of left) killProcess(row.pid);
      throw new Error(`pushgate dev left processes behind:\n${left.map((row) => `${row.pid} ${row.args}`).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  stat: string;
  args: string;
}

async function processTable(): Promise<ProcessRow[]> {
  const { stdout } = await exec('ps', ['-e', '-o', 'pid=,ppid=,pgid=,stat=,args=']);
  return stdout.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s?(.*)$/.exec(line);
    return match
      ? [{ pid: Number(match[1]), ppid: Number(match[2]), pgid: Number(match[3]), stat: match[4]!, args: match[5]! }]
      : [];
  });
}

/** Every live process below `pid`, at any depth. */
async function descendants(pid: number): Promise<number[]> {
  const rows = await processTable();
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = rows.filter((row) => frontier.includes(row.ppid)).map((row) => row.pid);
    found.push(...children);
    frontier = children;
  }
  return found;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function describe(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}
