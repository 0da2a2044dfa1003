import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useDevSession, type DevSession } from './support/dev-session.ts';
import { runCli, slackMessages } from './support/outside-slack.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// Drift against one `pushgate dev` process, from outside: the example repository (examples/infra-repo,
// whose tools/dirsync.mjs publishes each project's files to $PUSHGATE_DEPLOY_ROOT/<env>/<project> and
// plans the difference) deployed by git push; a deployed file edited by hand is drift that
// `pushgate drift` finds and Slack is told of once across two checks; `pushgate status` shows it; a
// deploy clears it; with remediate: true a check repairs it.

// pushgate dev's drift schedule ticks every second here (60 s by default), all through the test: a
// tick starts only the checks that are due, and staging (rate(6 hours), the default) never is: its
// deployments and the CLI's checks keep it in sync. So every drift run here is one pushgate drift
// started, and the ticks (the drift function invoked as the schedule) never fail.
process.env.PUSHGATE_DRIFT_TICK_SECONDS = '1';

const EXAMPLE = fileURLToPath(new URL('../../examples/infra-repo/', import.meta.url));

/** The example repository's files, with a pushgate.yml that deploys its two projects to staging only. */
async function exampleRepo(staging = '    branch: main'): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files[relative(EXAMPLE, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(EXAMPLE);
  const original = files['pushgate.yml']!;
  files['pushgate.yml'] = pushgateYml(original, staging);
  return files;
}

/** The example's pushgate.yml with staging alone (its `prod` and every `[staging, prod]` list dropped). */
function pushgateYml(original: string, staging: string): string {
  const projects = original.slice(original.indexOf('projects:')).replaceAll('[staging, prod]', '[staging]');
  return ['version: 1', 'environments:', '  staging:', staging, projects].join('\n');
}

interface DriftJson {
  checks: { project: string; environment: string; drifted: boolean | null; summary: string | null }[];
}

let session: DevSession;
useDevSession('drift', (started) => (session = started));

describe('drift', { timeout: 300_000 }, () => {
  it('is found by a check, told once, shown by status, cleared by a deploy and repaired with remediate: true', async () => {
    const clone = await workClone(`${session.root}/work`, session.dev.info.remote);
    const { deployRoot, repo } = session.dev.info;
    const deployedWeb = join(deployRoot, 'staging', 'web', 'index.html');
    const files = await exampleRepo();
    const v1 = await clone.commit(files, 'the example');
    const first = await pushOneRun(clone, 'main');
    expect((await session.aws.finished(first, 90_000)).run.status).toBe('succeeded');
    expect(await readFile(deployedWeb, 'utf8')).toBe(files['sites/web/index.html']);

    const messagesBefore = (await slackMessages(session)).length;

    // Drift: someone edits what was deployed.
    await writeFile(deployedWeb, '<h1>edited by hand</h1>\n');
    const found = await runCli(session, ['drift', '--json']);
    expect(found.code, found.stderr).toBe(1);
    expect(JSON.parse(found.stdout) as DriftJson).toEqual({
      checks: [
        { project: 'api', environment: 'staging', drifted: false, summary: null },
        { project: 'web', environment: 'staging', drifted: true, summary: '~1 change' },
      ],
    });
    // What started, its progress and the answer per target (on stderr with --json).
    expect(found.stderr).toContain(`checking ${repo} staging at ${v1.slice(0, 7)}: api, web`);
    expect(found.stderr).toMatch(/staging {2}web {2}drifted since \d{4}-\d\d-\d\dT[\d:.]+Z: ~1 change/);
    expect(found.stderr).toMatch(/staging {2}api {2}no drift/);
    // One drift run: the ticks started none (staging was deployed just now: not due for 6 hours).
    expect((await session.aws.runsBySha(v1)).filter((run) => run.kind === 'drift')).toHaveLength(1);

    // A second check of the same drift: still drifted, since the same time, and Slack is not told again.
    const again = await runCli(session, ['drift', '--env', 'staging']);
    expect(again.code, again.stderr).toBe(1);
    const since = /web {2}drifted since (\S+):/.exec(found.stderr)?.[1];
    expect(since).toBeDefined();
    expect(again.stdout).toContain(`web  drifted since ${since}: ~1 change`);
    // One message (its targets in a thread reply under it), from the check that first saw the drift.
    const told = (await slackMessages(session)).slice(messagesBefore).filter((message) => !message.threadTs);
    expect(told.map((message) => message.line)).toEqual([
      `${repo}: drift check of main to staging at ${v1.slice(0, 7)} found drift`,
    ]);
    expect(JSON.stringify(told[0]!.payload)).toContain(`*web* in *staging*: planned, *drifted* since ${since}`);

    // pushgate status shows it, and its JSON carries it.
    const status = await runCli(session, ['status', '--env', 'staging']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`drifted since ${since}: ~1 change (pushgate drift --env staging)`);
    const statusJson = await runCli(session, ['status', '--env', 'staging', '--json']);
    const environments = (
      JSON.parse(statusJson.stdout) as {
        environments: { deployed: { project: string; drift?: { drifted: boolean; since?: string } }[] }[];
      }
    ).environments;
    const byProject = Object.fromEntries(environments[0]!.deployed.map((d) => [d.project, d.drift]));
    expect(byProject.web).toMatchObject({ drifted: true, since });
    expect(byProject.api?.drifted ?? false).toBe(false);

    // A deploy of web replaces what runs there, and with it the drift.
    const v2 = await clone.commit({ 'sites/web/index.html': '<h1>v2</h1>\n' }, 'v2 of web');
    const deploy = await pushOneRun(clone, 'main');
    expect((await session.aws.finished(deploy, 90_000)).run.status).toBe('succeeded');
    const cleared = await runCli(session, ['status', '--env', 'staging']);
    expect(cleared.stdout).not.toContain('drifted since');
    const quiet = await runCli(session, ['drift', '--json']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect((JSON.parse(quiet.stdout) as DriftJson).checks.map((c) => c.drifted)).toEqual([false, false]);

    // remediate: true in the default branch's pushgate.yml: a check that finds drift applies again.
    const fixed = await clone.commit(
      { 'pushgate.yml': pushgateYml(files['pushgate.yml']!, '    branch: main\n    drift: { remediate: true }') },
      'repair drift',
    );
    const configured = await pushOneRun(clone, 'main');
    await session.aws.finished(configured, 90_000);
    await writeFile(deployedWeb, '<h1>edited by hand again</h1>\n');
    const repaired = await runCli(session, ['drift', '--project', 'web', '--json']);
    // Drift was found (exit 1), and repaired: the deployed file is the repository's again.
    expect(repaired.code, repaired.stderr).toBe(1);
    expect(JSON.parse(repaired.stdout) as DriftJson).toEqual({
      checks: [{ project: 'web', environment: 'staging', drifted: true, summary: '~1 change' }],
    });
    expect(repaired.stderr).toMatch(/web {2}drifted since \S+: ~1 change; repaired/);
    expect(await readFile(deployedWeb, 'utf8')).toBe('<h1>v2</h1>\n');
    const [latest] = (await session.aws.listDeployments('staging')).filter((d) => d.project === 'web');
    expect(latest).toMatchObject({ project: 'web', trigger: 'drift', status: 'succeeded' });
    const repairRun = await session.aws.getRun(latest!.runId);
    expect(repairRun).toMatchObject({ kind: 'drift', status: 'succeeded' });
    // And nothing is drifted any more.
    const after = await runCli(session, ['status', '--env', 'staging']);
    expect(after.stdout).not.toContain('drifted since');

    // Every drift run was one pushgate drift started (as the local STS's caller), none the schedule's,
    // and its ticks all ran: a failed one would have said so.
    const driftRuns = (await Promise.all([v1, v2, fixed].map(async (sha) => session.aws.runsBySha(sha))))
      .flat()
      .filter((run) => run.kind === 'drift');
    expect(driftRuns).toHaveLength(5);
    for (const run of driftRuns) expect(run.actor).not.toBe('pushgate');
    expect(session.dev.stderr()).not.toContain('drift: scheduled check');
    expect(session.dev.stderr()).not.toContain('drift: the scheduled tick failed');
  });

  it('nothing to check, and bad flags', async () => {
    const nothing = await runCli(session, ['drift', '--env', 'prod', '--json']);
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(JSON.parse(nothing.stdout)).toEqual({ checks: [] });
    expect(nothing.stderr).toContain('nothing to check');
    const bad = await runCli(session, ['drift', '--env', 'Prod Env']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('usage: pushgate drift');
  });
});
