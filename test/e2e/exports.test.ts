import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userEnv } from '../helpers/dev-process.ts';
import { commandRepo } from './support/command-repo.ts';

// What `pushgate dev` prints is meant to be copied into another shell, in the user's infrastructure
// repository. Here it is: the printed lines run in bash as they are, with nothing else set, and the
// real AWS SDK v3 and the pushgate CLI (on PATH as `npm link` puts it) then reach the local stack.

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));

let root: string;
let child: ChildProcess | undefined;
let printed = '';
/** A user's shell: PATH with `pushgate` on it, HOME, and nothing that points at AWS or this test. */
let shellEnv: NodeJS.ProcessEnv;

/** The block of lines that starts after `heading` and ends at the first empty line. */
function block(heading: string): string[] {
  const lines = printed.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  expect(start, `"${heading}" in:\n${printed}`).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(start + 1);
  return rest.slice(0, rest.indexOf('')).map((line) => line.trim());
}

/** The command part of a printed line (`cmd   # what it does` → `cmd`). */
const command = (line: string) => line.replace(/\s+#.*$/, '');

/** Runs `script` in bash after the printed export lines, as a user pasting them would. */
async function inShell(script: string, cwd: string): Promise<{ stdout: string; stderr: string }> {
  const exports = block('In another shell').join('\n');
  return exec('bash', ['-c', `set -euo pipefail\n${exports}\n${script}`], { cwd, env: shellEnv });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pushgate-e2e-exports-'));
  // `npm link` puts a `pushgate` on PATH that runs this clone.
  const bin = join(root, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'pushgate'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  await chmod(join(bin, 'pushgate'), 0o755);
  shellEnv = {
    PATH: `${bin}:${userEnv().PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? root,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };

  child = spawn(process.execPath, [BIN, 'dev'], {
    cwd: root,
    env: userEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
  const deadline = Date.now() + 30_000;
  while (!printed.includes('Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pushgate dev was not ready:\n${printed}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  }
  if (root) await rm(root, { recursive: true, force: true });
});

describe('pushgate dev: what it prints works where a user pastes it', () => {
  it('labels endpoints by service id and exports the variables the AWS CLI and SDK read', () => {
    expect(printed).toMatch(/\n {2}sfn {8}http:\/\/127\.0\.0\.1:\d+\n/);
    expect(printed).not.toMatch(/stepfunctions|STEPFUNCTIONS/);
    const names = block('In another shell').map((line) => /^export ([A-Z0-9_]+)=/.exec(line)?.[1]);
    expect(names).toEqual([
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_ENDPOINT_URL_SFN',
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_CODEBUILD',
      'AWS_ENDPOINT_URL_LAMBDA',
      'AWS_ENDPOINT_URL_STS',
      'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
      'AWS_REQUEST_CHECKSUM_CALCULATION',
      'AWS_RESPONSE_CHECKSUM_VALIDATION',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'PUSHGATE_TABLE',
      'PUSHGATE_REPO',
    ]);
  });

  it('the printed git commands deploy, and the printed pushgate commands show the run, from the user repository', async () => {
    const work = join(root, 'infra');
    await mkdir(work);
    await exec('git', ['init', '--quiet', '--initial-branch=main'], { cwd: work });
    for (const [path, content] of Object.entries(commandRepo('main', { environments: ['staging'] }))) {
      await mkdir(join(work, path, '..'), { recursive: true });
      await writeFile(join(work, path), content);
    }
    const git = ['-c', 'user.name=Octo Cat', '-c', 'user.email=octocat@example.com'];
    await exec('git', ['add', '--all'], { cwd: work });
    await exec('git', [...git, 'commit', '--quiet', '-m', 'v1'], { cwd: work });

    const [remoteAdd, pushMain] = block('Deploy from your infrastructure repository').map(command);
    expect(remoteAdd).toMatch(/^git remote add pushgate \S+$/);
    expect(pushMain).toBe('git push pushgate main');
    await inShell(remoteAdd!, work);
    const { stderr: pushed } = await inShell(pushMain!, work);
    const seeIt = /remote: pushgate: run (\S+) started; see it with: (pushgate run \1)/.exec(pushed);
    expect(seeIt, pushed).not.toBeNull();
    const [, runId, showRun] = seeIt!;

    let shown = '';
    const deadline = Date.now() + 30_000;
    while (!/^ {2}status {3}(succeeded|failed)$/m.test(shown) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      shown = (await inShell(`${showRun!} || true`, work)).stdout;
    }
    expect(shown).toContain(`run ${runId}\n  repo     local/infra\n`);
    expect(shown).toMatch(/^ {2}status {3}succeeded$/m);
    expect(shown).toMatch(/^ {4}app\/staging {2}succeeded/m);

    const [status, run] = block('Then, in your infrastructure repository').map(command);
    expect(run).toBe('pushgate run <runId>');
    const { stdout: deployed } = await inShell(status!, work);
    expect(deployed).toMatch(new RegExp(`^local/infra\\n {2}staging\\n {4}app +[0-9a-f]{7} .* run ${runId}`));
    const { stdout: history } = await inShell('pushgate history --env staging', work);
    expect(history).toContain(`run ${runId}`);
  }, 60_000);

  it('the AWS SDK v3 reads the stack with exactly the printed exports: executions and the table', async () => {
    const script = `
      import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
      import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
      const sfn = new SFNClient({});
      const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
      const deploy = stateMachines.find((m) => m.name.endsWith('-deploy'));
      const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: deploy.stateMachineArn }));
      const { Items } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: process.env.PUSHGATE_TABLE }));
      console.log(JSON.stringify({
        machines: stateMachines.map((m) => m.name),
        executions: executions.map((e) => e.status),
        entities: [...new Set(Items.map((item) => item.entity?.S))].sort(),
      }));`;
    // Run from the repository, where the SDK is installed; a quoted heredoc passes the script as it is.
    const { stdout } = await inShell(`'${process.execPath}' --input-type=module <<'SCRIPT'\n${script}\nSCRIPT`, ROOT);
    const seen = JSON.parse(stdout) as { machines: string[]; executions: string[]; entities: string[] };
    // The run's workflow and its child, which runs the run's targets in chunks.
    expect(seen.machines.sort()).toEqual(['pushgate-local-deploy', 'pushgate-local-targets']);
    expect(seen.executions).toEqual(['SUCCEEDED']);
    expect(seen.entities).toEqual(expect.arrayContaining(['delivery', 'run', 'target', 'deployment']));
  });
});
