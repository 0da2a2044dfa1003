import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevProcess, type DevProcess } from '../helpers/dev-process.ts';
import { commandRepo } from './support/command-repo.ts';
import type { DevSession } from './support/dev-session.ts';
import { runCli } from './support/outside-slack.ts';
import { outside, type Outside } from './support/outside.ts';
import { pushOneRun, workClone, type WorkClone } from './support/work-clone.ts';

// `pushgate runs`, `run` (its timeline), `where`, `locks` and `unlock` as a user runs them against a
// `pushgate dev --data DIR` process, with the exports it prints: real runs from `git push`, nothing
// written into the table by the test. One process for the file (each start costs seconds), started
// again on the same DIR for the lock a stopped `pushgate dev` left behind.

let root: string;
let dev: DevProcess | undefined;
let aws: Outside | undefined;
let repo: WorkClone;
const runs: { runId: string; sha: string }[] = [];

const session = (): DevSession => ({ dev: dev!, aws: aws!, root });
const cli = (...args: string[]) => runCli(session(), args);

async function start(data: string): Promise<void> {
  dev = await startDevProcess({ data });
  aws = outside(dev.info);
}

async function stop(): Promise<void> {
  aws?.destroy();
  aws = undefined;
  const running = dev;
  dev = undefined;
  await running?.stop();
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pushgate-e2e-read-'));
  await start(join(root, 'data'));
  repo = await workClone(join(root, 'work'), dev!.info.remote);
  for (const version of ['1', '2']) {
    const files = version === '1' ? commandRepo('main', { environments: ['staging'] }) : { 'app/version': '2\n' };
    const sha = await repo.commit(files, `v${version}`);
    const runId = await pushOneRun(repo, 'main');
    expect((await aws!.finished(runId)).run.status).toBe('succeeded');
    runs.push({ runId, sha });
  }
}, 120_000);
afterAll(async () => {
  await stop().catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('pushgate read commands against pushgate dev', { timeout: 90_000 }, () => {
  it('runs: the two pushes, newest first, with trigger, commit, status, start and duration', async () => {
    const { code, stdout, stderr } = await cli('runs', '--json');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout) as { repo: string; runs: Record<string, unknown>[] };
    expect(report.repo).toBe(dev!.info.repo);
    expect(report.runs.map((r) => [r.runId, r.sha, r.trigger, r.status])).toEqual([
      [runs[1]!.runId, runs[1]!.sha, 'push', 'succeeded'],
      [runs[0]!.runId, runs[0]!.sha, 'push', 'succeeded'],
    ]);
    for (const run of report.runs) {
      expect(Date.parse(run.finishedAt as string) - Date.parse(run.startedAt as string)).toBe(run.durationMs);
    }
    // The filters: one run, an environment no run has a target in, a status no run has.
    expect(JSON.parse((await cli('runs', '--json', '--limit', '1', '--env', 'staging')).stdout).runs).toHaveLength(1);
    expect(JSON.parse((await cli('runs', '--json', '--env', 'prod')).stdout).runs).toEqual([]);
    expect(JSON.parse((await cli('runs', '--json', '--status', 'failed')).stdout).runs).toEqual([]);
    const text = await cli('runs');
    expect(text.stdout.split('\n')[0]).toMatch(
      new RegExp(`^${runs[1]!.runId} +push +${runs[1]!.sha.slice(0, 7)} +succeeded +\\d{4}-.+Z +[\\d.]+ (ms|s)$`),
    );
  });

  it('run: the state-by-state timeline of the execution, Plan and Apply of the target included', async () => {
    const { code, stdout } = await cli('run', runs[1]!.runId, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      timeline: {
        execution: { status: string; durationMs: number };
        states: { name: string; target?: string; status: string; enteredAt: string; durationMs: number }[];
      };
      links: { logs: string; console?: string };
    };
    expect(report.timeline.execution).toMatchObject({ status: 'succeeded' });
    const names = report.timeline.states.map((s) => s.name);
    const order = ['Validate', 'AcquireLock', 'Plan', 'Summarize', 'PrepareApply', 'Apply', 'ReleaseLock', 'Record'];
    expect(names.filter((name) => order.includes(name))).toEqual(order);
    const plan = report.timeline.states.find((s) => s.name === 'Plan')!;
    const apply = report.timeline.states.find((s) => s.name === 'Apply')!;
    for (const state of [plan, apply]) {
      expect(state).toMatchObject({ target: 'app/staging', status: 'succeeded' });
      expect(state.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(Date.parse(apply.enteredAt)).toBeGreaterThanOrEqual(Date.parse(plan.enteredAt) + plan.durationMs);
    for (const state of report.timeline.states) expect(state.status).toBe('succeeded');
    // The local stack has no console page; the logs command is the link.
    expect(report.links).toEqual({ logs: `pushgate logs ${runs[1]!.runId}` });
    const text = await cli('run', runs[1]!.runId);
    expect(text.stdout).toMatch(/\n {2}timeline \(execution succeeded in [\d.]+ (ms|s)\)\n/);
    expect(text.stdout).toMatch(/\n {4}[\d:.]{12} {2}Apply +app\/staging +[\d.]+ (ms|s) {2}succeeded\n/);
  });

  it('where: the commit staging runs now (by a short sha), and none for the one it replaced', async () => {
    const now = await cli('where', runs[1]!.sha.slice(0, 8), '--json');
    expect(now.code).toBe(0);
    expect(JSON.parse(now.stdout)).toMatchObject({
      sha: runs[1]!.sha,
      running: [{ environment: 'staging', project: 'app', runId: runs[1]!.runId }],
    });
    const before = await cli('where', runs[0]!.sha, '--json');
    expect(JSON.parse(before.stdout)).toEqual({ repo: dev!.info.repo, sha: runs[0]!.sha, running: [] });
  });

  it('exits 2 with a usage line for bad flags and unknown ids', async () => {
    const cases: [string[], RegExp][] = [
      [['runs', '--limit', '0'], /^pushgate runs: option '--limit <n>' argument '0' is invalid/],
      [['runs', '--status', 'done'], /^pushgate runs: option '--status <status>' argument 'done' is invalid/],
      [['run', 'NOSUCHRUN'], /^pushgate run: no run "NOSUCHRUN" in table /],
      [['where', 'xyz'], /^pushgate where: "xyz" is not a commit sha/],
      [['where', 'f'.repeat(40)], new RegExp(`^pushgate where: no run of commit ${'f'.repeat(40)}`)],
      [['where', 'fffffff'], /^pushgate where: no run of a commit starting fffffff/],
      [['unlock', '--project', 'app', '--env', 'staging'], /^pushgate unlock: required option '--reason <text>'/],
      [['locks', '--bogus'], /^pushgate locks: unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await cli(...args);
      expect({ args, code, stdout }).toEqual({ args, code: 2, stdout: '' });
      const [first, usage] = stderr.split('\n');
      expect(first).toMatch(message);
      expect(usage).toMatch(new RegExp(`^usage: pushgate ${args[0]} `));
    }
  });

  it('locks and unlock: a lock left by a stopped pushgate dev is listed, unlocked with who and why, and the waiting run proceeds', async () => {
    // A change that waits for approval holds the staging lock while it waits.
    await repo.commit(
      { ...commandRepo('main', { environments: ['staging'], approval: ['staging'] }), 'app/version': '3\n' },
      'v3 waits for approval',
    );
    const held = await pushOneRun(repo, 'main');
    await aws!.waitFor('v3 to wait for approval', async () => {
      const target = await aws!.getTarget(held, 'app', 'staging');
      return target?.status === 'awaiting_approval' ? target : undefined;
    });
    await stop();
    await start(join(root, 'data'));

    const locks = await cli('locks', '--json');
    expect(locks.code).toBe(0);
    expect(JSON.parse(locks.stdout).locks).toMatchObject([
      { project: 'app', environment: 'staging', owner: held, expired: false, waiting: [] },
    ]);

    // The next push waits for the lock the dead run holds (AcquireLock tries again and again).
    await repo.commit({ 'app/version': '4\n' }, 'v4');
    const waiting = await pushOneRun(repo, 'main');
    await aws!.waitFor('v4 to queue for the lock', async () => {
      const listed = JSON.parse((await cli('locks', '--json')).stdout) as { locks: { waiting: { owner: string }[] }[] };
      return listed.locks[0]?.waiting.some((w) => w.owner === waiting) ? true : undefined;
    });

    const unlocked = await cli(
      'unlock',
      '--project',
      'app',
      '--env',
      'staging',
      '--reason',
      'dev was stopped',
      '--json',
    );
    expect(unlocked.code).toBe(0);
    const result = JSON.parse(unlocked.stdout) as { outcome: string; owner: string; by: string; reason: string };
    expect(result).toMatchObject({ outcome: 'unlocked', owner: held, reason: 'dev was stopped' });
    // Who: the caller's identity as the local STS tells it, not $USER.
    expect(result.by).toMatch(/^arn:aws:iam::000000000000:/);
    // Recorded for the audit (the lock item itself is handed over to the waiting run at once).
    const audit = await aws!.listUnlocks({ repo: dev!.info.repo, project: 'app', environment: 'staging' });
    expect(audit).toMatchObject([{ owner: held, by: result.by, reason: 'dev was stopped' }]);

    // The unlock hands the lock to the waiting run, which resumes, plans, and waits for its own approval.
    await aws!.waitFor('v4 to take the lock and plan', async () => {
      const target = await aws!.getTarget(waiting, 'app', 'staging');
      return target?.status === 'awaiting_approval' ? target : undefined;
    });
    const after = JSON.parse((await cli('locks', '--json')).stdout) as { locks: { owner: string }[] };
    expect(after.locks.map((lock) => lock.owner)).toEqual([waiting]);
    // A target nobody holds: refused, exit 1.
    const again = await cli('unlock', '--project', 'web', '--env', 'staging', '--reason', 'none');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('pushgate unlock: web/staging is not locked\n');
  });
});
