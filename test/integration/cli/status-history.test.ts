import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';

// `pushgate status` and `pushgate history` as a user runs them: a real process, the AWS SDK pointed at
// dynalite with the standard AWS_ENDPOINT_URL_DYNAMODB, records written by the store.
const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
const SUMMARY = { add: 1, change: 2, destroy: 0, replace: 0, outputChanges: [], hasChanges: true };
let dynamo: RunningDynalite;
let table: string;
let cwd: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  table = await createTestTable(dynamo.client);
  const store = createDynamoStore({ tableName: table, client: dynamo.client });
  const deploy = (environment: string, project: string, sha: string, at: string, more: object = {}) =>
    store.recordDeployment({
      repo: 'acme/infra',
      environment,
      project,
      runId: `run-${sha}`,
      sha: sha.repeat(40),
      status: 'succeeded',
      actor: 'octocat',
      summary: SUMMARY,
      deployedAt: at,
      ...more,
    });
  await deploy('staging', 'network', 'a', '2026-11-01T10:00:00.000Z');
  await deploy('staging', 'network', 'b', '2026-11-02T10:00:00.000Z');
  await deploy('prod', 'network', 'a', '2026-11-01T11:00:00.000Z', {
    approvals: [{ decision: 'approved', by: 'alice', via: 'cli', at: '2026-11-01T10:59:00.000Z' }],
  });
  await store.acquireLock({ repo: 'acme/infra', project: 'network', environment: 'prod' }, 'run-c', {
    leaseSeconds: 3600,
    position: 'p',
    mode: 'queue',
  });
  cwd = await mkdtemp(join(tmpdir(), 'pushgate-cli-'));
  await writeFile(
    join(cwd, 'pushgate.yml'),
    'version: 1\nenvironments:\n  staging: { branch: main }\n  prod: { branch: main, after: staging }\nprojects:\n  - { name: network, dir: net, engine: terraform, environments: [staging, prod] }\n',
  );
});
afterAll(async () => {
  await dynamo?.stop();
  await rm(cwd, { recursive: true, force: true });
});

async function pushgate(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args], {
      cwd,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: dynamo.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: dynamo.credentials.secretAccessKey,
        PUSHGATE_TABLE: table,
        ...env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pushgate status and history', () => {
  it('status shows what each environment of ./pushgate.yml runs now, and held locks', async () => {
    const { code, stdout } = await pushgate(['status', '--repo', 'acme/infra']);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('acme/infra');
    expect(lines[1]).toBe('  staging');
    expect(lines[2]).toMatch(
      /^ {4}network +bbbbbbb {2}2026-11-02T10:00:00.000Z {2}by octocat {2}run run-b {2}Plan: 1 to add, 2 to change, 0 to destroy\.$/,
    );
    expect(lines[3]).toBe('  prod');
    expect(lines[4]).toMatch(/network +aaaaaaa/);
    // Who let prod's deployment through, how and when.
    expect(lines[5]).toMatch(/^ +approved by alice at 2026-11-01T10:59:00.000Z through the CLI$/);
    expect(stdout).toMatch(/network is locked by run run-c since /);
  });

  it('status --json', async () => {
    const { stdout } = await pushgate(['status', '--repo', 'acme/infra', '--env', 'prod', '--json']);
    const report = JSON.parse(stdout) as { environments: { environment: string; deployed: { sha: string }[] }[] };
    expect(report.environments).toHaveLength(1);
    expect(report.environments[0]!.deployed[0]!.sha).toBe('a'.repeat(40));
  });

  it('history lists the deployments of one environment, newest first', async () => {
    const { code, stdout } = await pushgate(['history', '--repo', 'acme/infra', '--env', 'staging']);
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.slice(0, 24)),
    ).toEqual(['2026-11-02T10:00:00.000Z', '2026-11-01T10:00:00.000Z']);
    const one = await pushgate(['history', '--repo', 'acme/infra', '--env', 'staging', '--limit', '1', '--json']);
    expect((JSON.parse(one.stdout) as unknown[]).length).toBe(1);
    const none = await pushgate(['history', '--repo', 'acme/infra', '--env', 'qa']);
    expect(none.stdout).toBe('no deployments of acme/infra to qa yet\n');
  });

  it('takes --repo from PUSHGATE_REPO, and the flag over it', async () => {
    const flag = await pushgate(['status', '--repo', 'acme/infra', '--env', 'prod', '--json']);
    const fromEnv = await pushgate(['status', '--env', 'prod', '--json'], { PUSHGATE_REPO: 'acme/infra' });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toEqual(JSON.parse(flag.stdout));
    const history = await pushgate(['history', '--env', 'staging', '--json'], { PUSHGATE_REPO: 'acme/infra' });
    expect((JSON.parse(history.stdout) as unknown[]).length).toBe(2);
    const other = await pushgate(['status', '--repo', 'acme/infra', '--env', 'prod', '--json'], {
      PUSHGATE_REPO: 'acme/other',
    });
    expect((JSON.parse(other.stdout) as { repo: string }).repo).toBe('acme/infra');
  });

  it('says what to do when the table is not set, or a flag is wrong', async () => {
    const missing = await pushgate(['history', '--repo', 'acme/infra', '--env', 'prod'], { PUSHGATE_TABLE: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pushgate history: which table\? Pass --table or set PUSHGATE_TABLE/);
    const badLimit = await pushgate(['history', '--repo', 'acme/infra', '--env', 'prod', '--limit', 'lots']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('expected a whole number from 1 to 1000');
    expect(missing.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  });
});
