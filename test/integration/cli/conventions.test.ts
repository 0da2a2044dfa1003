import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commands } from '../../../cli/commands/index.ts';
import { main } from '../../../cli/main.ts';

// The rules every `pushgate` command follows (exit 0 ok / 1 failed / 2 usage, `--help` everywhere,
// `--repo` from PUSHGATE_REPO): in this process through main() for the many cases, and as a user
// runs it (node cli/bin.js) for a few, to prove the exit code reaches the shell.
const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function inProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<Outcome> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await main(['node', 'pushgate', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

function realProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<Outcome> {
  const merged = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete merged[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: merged }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

afterEach(() => {
  vi.unstubAllEnvs();
});

const NAMES = commands.map((create) => create().name());

describe('pushgate conventions', () => {
  it.each(NAMES)('%s --help prints its usage and exits 0', async (name) => {
    const { code, stdout, stderr } = await inProcess([name, '--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^Usage: pushgate ${name}( |\\n)`));
  });

  it('says on every command with --repo that it defaults to $PUSHGATE_REPO', async () => {
    const withRepo = commands
      .map((create) => create())
      .filter((command) => command.options.some((o) => o.long === '--repo'));
    expect(withRepo.map((command) => command.name())).toEqual(
      expect.arrayContaining(['status', 'history', 'validate']),
    );
    for (const command of withRepo) {
      // setup's --repo is a list of repositories to register, not the one repository a command is about.
      if (command.name() === 'setup') continue;
      const { stdout } = await inProcess([command.name(), '--help']);
      // Help wraps long descriptions: read it as one line.
      expect(stdout.replace(/\s+/g, ' '), command.name()).toMatch(
        /--repo <owner\/name> [^-]*[(,] ?env: PUSHGATE_REPO\)/,
      );
    }
  });

  it('exits 2 with the message and a usage line for an unknown option', async () => {
    const status = await inProcess(['status', '--repo', 'acme/infra', '--colour'], { PUSHGATE_REPO: undefined });
    expect(status).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "pushgate status: unknown option '--colour'\nusage: pushgate status --repo <owner/name> [--env <name>] [--table <name>] [--json]\n",
    });
    const summarize = await inProcess(['summarize', 'plan.json', '--verbose']);
    expect(summarize.code).toBe(2);
    expect(summarize.stderr).toMatch(
      /^pushgate summarize: unknown option '--verbose'\nusage: pushgate summarize <file> \[--json\]\n$/,
    );
  });

  it('exits 2 naming both ways to give --repo when neither the flag nor PUSHGATE_REPO is there', async () => {
    for (const command of ['status', 'history']) {
      const { code, stderr } = await inProcess([command, '--env', 'prod'], { PUSHGATE_REPO: undefined });
      expect(code, command).toBe(2);
      expect(stderr.split('\n')[0]).toBe(
        `pushgate ${command}: required option '--repo <owner/name>' not specified (pass --repo or set PUSHGATE_REPO)`,
      );
      expect(stderr.split('\n')[1]).toMatch(new RegExp(`^usage: pushgate ${command} --repo <owner/name> `));
    }
  });

  it('exits 2 for a missing argument, a bad value and an extra argument', async () => {
    const missing = await inProcess(['run']);
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^pushgate run: missing required argument 'runId'\nusage: pushgate run <runId>/),
    });
    const badValue = await inProcess(['history', '--repo', 'acme/infra', '--env', 'prod', '--limit', 'lots']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('expected a whole number from 1 to 1000');
    const badRepo = await inProcess(['status'], { PUSHGATE_REPO: 'not-a-repo' });
    expect(badRepo.code).toBe(2);
    expect(badRepo.stderr).toMatch(/^pushgate status: .*'not-a-repo'.*PUSHGATE_REPO.*expected owner\/name/);
    const extra = await inProcess(['summarize', 'a.json', 'b.json']);
    expect(extra.code).toBe(2);
  });

  it('exits 2 with the list of commands for an unknown command, and for no command', async () => {
    const unknown = await inProcess(['statsu']);
    expect(unknown.code).toBe(2);
    const [message, list, usage] = unknown.stderr.split('\n');
    expect(message).toMatch(/^pushgate: unknown command 'statsu'/);
    expect(list).toBe(`commands: ${NAMES.join(', ')}`);
    expect(usage).toBe('usage: pushgate <command> [options]');
    const none = await inProcess([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: pushgate <command> [options]');
  });

  it('exits 0 for help and the version', async () => {
    expect((await inProcess(['--help'])).code).toBe(0);
    expect((await inProcess(['help', 'status'])).code).toBe(0);
    const version = await inProcess(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 1 with one line that says what to do next when AWS cannot be reached', async () => {
    const { code, stdout, stderr } = await inProcess(['history', '--repo', 'acme/infra', '--env', 'prod'], {
      PUSHGATE_TABLE: 'pushgate-test',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      // Port 1 on loopback: nothing listens there, the connection is refused at once.
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^pushgate history: .*is `pushgate dev` running/);
  });

  it('reaches the shell: a real process exits 2 for usage errors and 0 for --help', async () => {
    const [unknown, noRepo, help] = await Promise.all([
      realProcess(['nope']),
      realProcess(['history', '--env', 'prod'], { PUSHGATE_REPO: undefined }),
      realProcess(['validate', '--help']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'nope'");
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toContain('(pass --repo or set PUSHGATE_REPO)');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('.git/hooks/pre-push');
  });
});
