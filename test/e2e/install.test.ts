import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevProcess, userEnv, type DevProcess } from '../helpers/dev-process.ts';
import { commandRepo, deployedVersion } from './support/command-repo.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// The package as a user gets it: `npm pack` (prepack bundles the CLI), `npm install -g` into a prefix
// of its own, and `pushgate` run from a directory outside the repository, where no devDependency (tsx,
// esbuild, vitest, …) and no TypeScript source can be reached. npm uses the cache `npm ci` filled
// (--prefer-offline) and asks the registry only for what the cache lacks.

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLANS = fileURLToPath(new URL('../fixtures/terraform-plans/', import.meta.url));

let root: string;
let prefix: string;
let pushgateBin: string;
let elsewhere: string;
let dev: DevProcess | undefined;

/** A user's environment: no test runner variables, and nothing of this repository on PATH. */
function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = userEnv();
  const path = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules') && !dir.startsWith(ROOT));
  return { ...env, PATH: [join(prefix, 'bin'), ...path].join(delimiter), ...extra };
}

async function pushgate(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(pushgateBin, args, { cwd: elsewhere, env: outsideEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pushgate-e2e-install-'));
  prefix = join(root, 'prefix');
  elsewhere = join(root, 'elsewhere');
  await mkdir(elsewhere, { recursive: true });
  const packDir = join(root, 'pack');
  await mkdir(packDir);
  const npm = { env: { ...userEnv(), npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 };
  await exec('npm', ['pack', '--pack-destination', packDir, '--loglevel=error'], { cwd: ROOT, ...npm });
  const [tarball] = (await readdir(packDir)).filter((name) => /^pushgate-.*\.tgz$/.test(name));
  expect(tarball).toBeDefined();
  await exec(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      join(packDir, tarball!),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: root, ...npm },
  );
  pushgateBin = join(prefix, 'bin', 'pushgate');
}, 180_000);

afterAll(async () => {
  await dev?.stop().catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('pushgate, packed and installed globally', () => {
  it('installs the bundle and what it needs at run time, and no sources or devDependencies', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'pushgate');
    expect(existsSync(pushgateBin)).toBe(true);
    expect(existsSync(join(installed, 'dist', 'cli', 'pushgate.mjs'))).toBe(true);
    for (const file of ['serverless.yml', 'state-machines/deploy.asl.yml', 'infra/table.yml']) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    for (const absent of ['cli/main.ts', 'functions', 'test', 'node_modules/tsx', 'node_modules/esbuild']) {
      expect(existsSync(join(installed, absent)), absent).toBe(false);
    }
  });

  it('pushgate --help works from a directory outside the repository', async () => {
    const { code, stdout, stderr } = await pushgate(['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('Usage: pushgate <command> [options]');
    for (const command of ['status', 'history', 'run', 'summarize', 'dev']) expect(stdout).toContain(`  ${command} `);
  });

  it('pushgate summarize <plan> --json prints the summary', async () => {
    const { code, stdout, stderr } = await pushgate(['summarize', join(PLANS, '120_basic.json'), '--json']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({
      add: 7,
      change: 0,
      destroy: 0,
      replace: 0,
      outputChanges: [
        'foo',
        'interpolated',
        'interpolated_deep',
        'list',
        'map',
        'referenced',
        'referenced_deep',
        'string',
      ],
      hasChanges: true,
    });
  });

  it('pushgate dev --json starts, deploys a push, shows the run with the exports it printed, and stops on SIGTERM', async () => {
    dev = await startDevProcess({ bin: pushgateBin, cwd: elsewhere, data: join(root, 'data'), readyTimeoutMs: 60_000 });
    const { info } = dev;
    expect(info.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/github$/);
    expect(info.exports.AWS_ENDPOINT_URL_SFN).toBe(info.endpoints.stepfunctions);

    // The git hook and the CodeBuild `aws` stand-in are files of the installed package.
    const repo = await workClone(join(root, 'work'), info.remote);
    await repo.commit(commandRepo('main', { environments: ['staging'] }), 'v1');
    const runId = await pushOneRun(repo, 'main');
    let shown: { status?: string; targets?: { status: string }[] } = {};
    const deadline = Date.now() + 30_000;
    while (shown.status !== 'succeeded' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const { stdout } = await pushgate(['run', runId, '--json'], info.exports);
      shown = stdout ? (JSON.parse(stdout) as typeof shown) : {};
      if (shown.status === 'failed') break;
    }
    expect(shown).toMatchObject({ status: 'succeeded', targets: [{ status: 'succeeded' }] });
    expect(await deployedVersion(info.deployRoot, 'staging')).toBe('1\n');

    const running = dev;
    dev = undefined;
    await running.stop();
  }, 90_000);
});
