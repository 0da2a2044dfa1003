import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';

// `pushgate run <runId>` as a user runs it (what the local stack links to instead of a console page):
// a real process, the AWS SDK pointed at dynalite with AWS_ENDPOINT_URL_DYNAMODB, records written by
// the store.
const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
const REPO = 'acme/infra';
const SHA = 'a'.repeat(40);
const SUMMARY = { add: 1, change: 2, destroy: 0, replace: 0, outputChanges: [], hasChanges: true };
const TOKEN = 'AQCEAAAAKgAAAAMAAAAA-task-token';
let dynamo: RunningDynalite;
let table: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  table = await createTestTable(dynamo.client);
  const store = createDynamoStore({ tableName: table, client: dynamo.client });
  const run = (runId: string, overrides: Record<string, unknown> = {}) =>
    store.createRun({
      runId,
      repo: REPO,
      kind: 'push',
      ref: 'refs/heads/main',
      branch: 'main',
      sha: SHA,
      actor: 'octocat',
      deliveryId: `delivery-${runId}`,
      commitMessage: 'Widen the VPC\n\nand more',
      ...overrides,
    });
  const target = (runId: string, environment: string, fields: Record<string, unknown>) =>
    store.putTarget({ runId, repo: REPO, project: 'network', environment, sha: SHA, status: 'queued', ...fields });

  // Waiting for an approval: the task token that resumes it is on the prod target.
  await run('run-waiting');
  await store.setRunStatus('run-waiting', 'running');
  await target('run-waiting', 'staging', { status: 'succeeded', summary: SUMMARY });
  await target('run-waiting', 'prod', { status: 'awaiting_approval', summary: SUMMARY, approvalTaskToken: TOKEN });

  await run('run-failed');
  await store.setRunStatus('run-failed', 'running');
  await target('run-failed', 'staging', { status: 'failed', summary: SUMMARY, reason: 'apply failed: exit status 1' });
  await store.setRunStatus('run-failed', 'failed', { reason: 'network/staging: apply failed: exit status 1' });

  // Decided: who approved and who rejected, how and when.
  await run('run-decided');
  await store.setRunStatus('run-decided', 'running');
  await target('run-decided', 'staging', {
    status: 'succeeded',
    approvals: [{ decision: 'approved', by: 'alice', via: 'slack', at: '2026-11-30T10:00:00.000Z', slackUser: 'U1' }],
  });
  await target('run-decided', 'prod', {
    status: 'rejected',
    reason: 'rejected by bob: not today',
    approvals: [
      { decision: 'rejected', by: 'bob', via: 'github', at: '2026-11-30T11:00:00.000Z', reason: 'not today' },
    ],
  });
  await target('run-decided', 'dev', {
    status: 'awaiting_approval',
    approvalRequest: {
      approvers: ['alice', '@acme/sre'],
      allowSelfApproval: false,
      requestedAt: '2026-11-30T09:00:00.000Z',
      expiresAt: '2026-12-01T09:00:00.000Z',
    },
  });

  await run('run-pr', { kind: 'plan', pullRequest: 7, actor: 'hubot' });
  await store.setRunStatus('run-pr', 'skipped', { reason: 'no environment is deployed from main' });
});
afterAll(async () => {
  await dynamo?.stop();
});

async function pushgate(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args], {
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

describe('pushgate run', () => {
  it('prints the run: repo, commit, trigger, status, and each target with its status and plan', async () => {
    const { code, stdout, stderr } = await pushgate(['run', 'run-waiting']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'run run-waiting',
      `  repo     ${REPO}`,
      `  commit   ${SHA} (main) "Widen the VPC"`,
      '  trigger  push to main by octocat',
      '  status   running',
    ]);
    expect(lines[5]).toMatch(/^ {2}started {2}\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(lines.slice(6, 9)).toEqual([
      '  targets',
      '    network/prod     awaiting_approval  Plan: 1 to add, 2 to change, 0 to destroy.',
      '    network/staging  succeeded          Plan: 1 to add, 2 to change, 0 to destroy.',
    ]);
    expect(stdout).not.toContain(TOKEN);
  });

  it('shows who approved or rejected, how and when, and who a waiting target waits for', async () => {
    const { stdout } = await pushgate(['run', 'run-decided']);
    expect(stdout).toContain('approved by alice at 2026-11-30T10:00:00.000Z through Slack');
    expect(stdout).toContain('rejected by bob at 2026-11-30T11:00:00.000Z through a comment: not today');
    expect(stdout).toContain(
      'waiting for alice, @acme/sre until 2026-12-01T09:00:00.000Z: pushgate approve run-decided',
    );
  });

  it('prints the same with --json, without the approval task token', async () => {
    const { code, stdout } = await pushgate(['run', 'run-waiting', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown> & { targets: Record<string, unknown>[] };
    expect(report).toMatchObject({
      runId: 'run-waiting',
      repo: REPO,
      sha: SHA,
      branch: 'main',
      kind: 'push',
      trigger: 'push to main by octocat',
      status: 'running',
    });
    expect(report.targets.map((t) => [t.project, t.environment, t.status, t.summary])).toEqual([
      ['network', 'prod', 'awaiting_approval', SUMMARY],
      ['network', 'staging', 'succeeded', SUMMARY],
    ]);
    expect(stdout).not.toContain(TOKEN);
    expect(report.targets[0]).not.toHaveProperty('approvalTaskToken');
  });

  it('exits 1 for a failed run, with the reasons of the run and of each target', async () => {
    const { code, stdout } = await pushgate(['run', 'run-failed']);
    expect(code).toBe(1);
    expect(stdout).toContain('  status   failed\n  reason   network/staging: apply failed: exit status 1\n');
    expect(stdout).toContain(
      [
        '  targets',
        '    network/staging  failed             Plan: 1 to add, 2 to change, 0 to destroy.',
        '                     apply failed: exit status 1',
        '',
      ].join('\n'),
    );
    expect(stdout).toMatch(/finished \d{4}-/);
  });

  it('says how a pull request run was triggered, and that it has no targets', async () => {
    const { code, stdout } = await pushgate(['run', 'run-pr']);
    expect(code).toBe(0);
    expect(stdout).toContain('  trigger  pull request #7 into main by hubot (plan only)\n');
    expect(stdout).toContain('  status   skipped\n  reason   no environment is deployed from main\n');
    expect(stdout).toContain('  targets  none\n');
  });

  it('exits 2 with the reason and the usage line on stderr for a run id that is not in the table', async () => {
    for (const runId of ['01M8NOSUCHRUN', 'bad#id']) {
      const { code, stdout, stderr } = await pushgate(['run', runId]);
      expect({ code, stdout, stderr }).toEqual({
        code: 2,
        stdout: '',
        stderr: `pushgate run: no run ${JSON.stringify(runId)} in table ${table}\nusage: pushgate run <runId> [--table <name>] [--json]\n`,
      });
    }
  });

  it('asks for the table when neither --table nor PUSHGATE_TABLE names one', async () => {
    const { code, stderr } = await pushgate(['run', 'run-waiting'], { PUSHGATE_TABLE: '' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^pushgate run: which table\? Pass --table or set PUSHGATE_TABLE/);
  });
});
