import { describe, expect, it } from 'vitest';
import type { RunLogsReport } from '../../cli/lib/logs/run-logs.ts';
import { commandRepo } from './support/command-repo.ts';
import { useDevSession, type DevSession } from './support/dev-session.ts';
import { runCli } from './support/outside-slack.ts';
import { pushOneRun, workClone, type WorkClone } from './support/work-clone.ts';

// `pushgate logs` against a `pushgate dev` process, from outside: git push, then the CLI as a child
// process with the printed exports. The local CodeBuild writes each build's log to the local
// CloudWatch Logs, which the CLI reads with GetLogEvents, as on AWS.

let session: DevSession;
useDevSession('logs', (started) => (session = started));

/** The one repository of this file's `pushgate dev` (pushes to its main follow each other). */
let clone: WorkClone | undefined;
async function repository(): Promise<WorkClone> {
  clone ??= await workClone(`${session.root}/work`, session.dev.info.remote);
  return clone;
}

describe('pushgate logs', { timeout: 120_000 }, () => {
  it("shows a run's plan and apply logs, filtered by --target, and follows a running build to its end", async () => {
    const clone = await repository();
    await clone.commit(commandRepo('main', { environments: ['staging'], projects: ['app', 'web'] }), 'v1');
    const runId = await pushOneRun(clone, 'main');
    const done = await session.aws.finished(runId, 60_000);
    expect(done.run.status).toBe('succeeded');

    const all = await runCli(session, ['logs', runId, '--json']);
    expect(all.code, all.stderr).toBe(0);
    const report = JSON.parse(all.stdout) as RunLogsReport;
    expect(report.runId).toBe(runId);
    const kinds = report.builds.map((build) => `${build.project}/${build.environment} ${build.phase}`).sort();
    expect(kinds).toEqual(['app/staging apply', 'app/staging plan', 'web/staging apply', 'web/staging plan']);
    for (const build of report.builds) {
      expect(build).toMatchObject({
        status: 'SUCCEEDED',
        logGroup: `/aws/codebuild/pushgate-local-${build.phase}`,
        logStream: build.buildId.split(':')[1],
      });
      expect(build.lines.at(-1)?.message).toBe(`[Container] ${build.lines.at(-1)!.message.slice(12)}`);
    }
    const plan = report.builds.find((build) => build.project === 'app' && build.phase === 'plan')!;
    // What tools/deploy.sh printed in the plan build.
    expect(plan.lines.map((line) => line.message)).toContain('app → staging: version 1');
    const apply = report.builds.find((build) => build.project === 'app' && build.phase === 'apply')!;
    expect(apply.lines.some((line) => line.message.includes('Running command'))).toBe(true);

    const one = await runCli(session, ['logs', runId, '--target', 'web/staging']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^== web\/staging plan {2}build pushgate-local-plan:\S+ {2}SUCCEEDED \d+s$/m);
    expect(one.stdout).toContain('web → staging: version 1');
    expect(one.stdout).not.toContain('app/staging');

    const other = await runCli(session, ['logs', runId, '--target', 'db/staging']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('usage: pushgate logs <runId>');

    // A plan that takes a moment: --follow starts while it runs and ends when the run's builds have.
    await clone.commit({ 'app/version': '2\n', 'app/slow-plan': '' }, 'v2');
    const slowRun = await pushOneRun(clone, 'main');
    await session.aws.waitFor('the slow plan to start', async () => {
      const target = await session.aws.getTarget(slowRun, 'app', 'staging');
      return target ? true : undefined;
    });
    const followed = await runCli(session, ['logs', slowRun, '--target', 'app/staging', '--follow']);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain('app → staging: version 2');
    expect(followed.stdout).toMatch(/^== app\/staging apply {2}SUCCEEDED \d+s$/m);
    expect((await session.aws.getRun(slowRun))?.status).toBe('succeeded');
  });

  it('exits 2 with the usage line for an unknown run id, and 1 when a followed build failed', async () => {
    const unknown = await runCli(session, ['logs', '01NOSUCHRUN']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no run "01NOSUCHRUN"');
    expect(unknown.stderr).toContain('usage: pushgate logs <runId>');

    const clone = await repository();
    await clone.commit(
      { ...commandRepo('main', { environments: ['failing'] }), 'app/fail-plan': '', 'app/slow-plan': null },
      'a plan that fails',
    );
    const runId = await pushOneRun(clone, 'main');
    const followed = await runCli(session, ['logs', runId, '--follow', '--json']);
    expect(followed.code, followed.stderr).toBe(1);
    const report = JSON.parse(followed.stdout) as RunLogsReport;
    expect(report.builds).toMatchObject([{ project: 'app', environment: 'failing', phase: 'plan', status: 'FAILED' }]);
    expect(report.builds[0]!.lines.map((line) => line.message)).toContain('plan: the provider is not reachable');
  });
});
