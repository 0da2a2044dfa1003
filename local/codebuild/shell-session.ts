import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PushgateError } from '../../functions/lib/errors.ts';

export class ShellSessionError extends PushgateError {}

export interface ShellSessionOptions {
  /** `bash` (CodeBuild's default on Linux) or `sh`, as the buildspec's `env.shell` says. */
  shell: 'bash' | 'sh';
  cwd: string;
  env: Record<string, string>;
  /** A directory private to this build where the command files are written. */
  scratchDir: string;
  /** Every line the commands print, stdout and stderr alike, as CodeBuild logs them. */
  onOutput: (line: string) => void;
}

export interface CommandResult {
  exitCode: number;
  /** The shell itself ended during the command (`exit`, `exec`, or a stop or timeout killing it). */
  shellEnded: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Single-quotes a word for the shell. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * One shell for the whole build, so that `cd`, exported variables and shell variables set by one
 * command are seen by the next: buildspec 0.2 runs every command "in the same instance of the
 * default shell" (https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-cmd.html).
 * Each command is written to a file and sourced with stdin from /dev/null (so a command that reads
 * stdin cannot eat the next one, and a syntax error fails only that command); its status comes back
 * on fd 3. The shell leads its own process group, so stopping the build kills every process a
 * command started, background ones included.
 */
export class ShellSession {
  private readonly child: ChildProcess;
  private seq = 0;
  private pending: { seq: number; resolve: (result: CommandResult) => void } | undefined;
  private statusText = '';
  private ended = false;
  private endCode = 0;
  private readonly exited: Promise<void>;

  constructor(private readonly options: ShellSessionOptions) {
    const program = options.shell === 'bash' ? 'bash' : '/bin/sh';
    this.child = spawn(program, [], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.child.stdin?.on('error', () => {
      // EPIPE once the shell is gone: the exit handler below reports the command as failed.
    });
    readLines(this.child.stdout!, options.onOutput);
    readLines(this.child.stderr!, options.onOutput);
    const status = this.child.stdio[3] as Readable;
    status.setEncoding('utf8');
    status.on('data', (chunk: string) => this.onStatus(chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        options.onOutput(`could not start ${program}: ${error.message}`);
        this.onEnd(127);
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.onEnd(code ?? 128 + (signal ? constants.signals[signal] : 0));
        resolve();
      });
    });
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Runs one command in the session and resolves with its exit status. */
  async run(command: string): Promise<CommandResult> {
    if (this.ended) return { exitCode: this.endCode, shellEnded: true };
    if (this.pending) throw new ShellSessionError('a command is already running in this session');
    const seq = ++this.seq;
    const file = join(this.options.scratchDir, `command-${seq}.sh`);
    await writeFile(file, `${command}\n`);
    return new Promise((resolve) => {
      this.pending = { seq, resolve };
      if (this.ended) {
        this.settle({ exitCode: this.endCode, shellEnded: true });
        return;
      }
      this.child.stdin!.write(`. ${shellQuote(file)} </dev/null 3>&-; printf '%s %s\\n' ${seq} "$?" >&3\n`);
    });
  }

  /** Exports a variable for the commands that follow. */
  setVariable(name: string, value: string): void {
    if (!NAME.test(name)) throw new ShellSessionError(`not a variable name: ${name}`);
    if (!this.ended) this.child.stdin!.write(`export ${name}=${shellQuote(value)}\n`);
  }

  /** The current values of shell variables (empty when unset), e.g. for `exported-variables`. */
  async readVariables(names: string[]): Promise<Record<string, string>> {
    for (const name of names) {
      if (!NAME.test(name)) throw new ShellSessionError(`not a variable name: ${name}`);
    }
    if (names.length === 0) return {};
    const file = join(this.options.scratchDir, `variables-${this.seq + 1}`);
    const result = await this.run(
      `printf '%s\\0' ${names.map((name) => `"\${${name}-}"`).join(' ')} > ${shellQuote(file)}`,
    );
    if (result.exitCode !== 0)
      throw new ShellSessionError('could not read the exported variables: the shell session ended');
    const values = (await readFile(file, 'utf8')).split('\0');
    return Object.fromEntries(names.map((name, index) => [name, values[index] ?? '']));
  }

  /** Kills the shell and everything it started (its whole process group) and waits for the shell to end. */
  async kill(): Promise<void> {
    if (!this.ended && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
    }
    await this.exited;
  }

  private onStatus(chunk: string): void {
    this.statusText += chunk;
    let newline: number;
    while ((newline = this.statusText.indexOf('\n')) >= 0) {
      const line = this.statusText.slice(0, newline);
      this.statusText = this.statusText.slice(newline + 1);
      const [seq, code] = line.split(' ').map(Number);
      if (this.pending && seq === this.pending.seq) {
        const result = { exitCode: code ?? 1, shellEnded: false };
        // Output the command printed just before its status may still sit in the stdout pipe.
        setImmediate(() => this.settle(result));
      }
    }
  }

  private onEnd(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.endCode = code;
    this.settle({ exitCode: code, shellEnded: true });
  }

  private settle(result: CommandResult): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(result);
  }
}

function readLines(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
    rest = '';
  });
}
