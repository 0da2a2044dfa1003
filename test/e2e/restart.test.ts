import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevProcess, type DevProcess } from '../helpers/dev-process.ts';
import { commandRepo, deployedVersion, ledgerLines } from './support/command-repo.ts';
import { outside } from './support/outside.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// `pushgate dev --data DIR` stopped with SIGTERM and started again on the same DIR: the table, the
// artifacts, the repository and the webhook secret are still there, so history is, and pushes deploy.

let root: string;
let dev: DevProcess | undefined;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pushgate-e2e-restart-'));
});
afterAll(async () => {
  // Only when a failure left one running; a passing test has stopped it already.
  await dev?.stop().catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

/** SIGTERM; the helper checks it exits 0 and leaves nothing running. */
async function stopDev(): Promise<void> {
  const running = dev;
  dev = undefined;
  await running?.stop();
}

describe('pushgate dev --data, driven from outside: a restart', () => {
  it('keeps runs, deployments and the remote across a restart, and the next push deploys', async () => {
    const data = join(root, 'data');
    dev = await startDevProcess({ data });
    const before = dev.info;
    let aws = outside(before);
    const repo = await workClone(join(root, 'work'), before.remote);
    const firstSha = await repo.commit(
      commandRepo('main', { environments: ['staging'], projects: ['app', 'web'] }),
      'v1',
    );
    const first = await aws.finished(await pushOneRun(repo, 'main'));
    expect(first.run.status).toBe('succeeded');
    expect(first.targets).toHaveLength(2);
    aws.destroy();
    await stopDev();

    dev = await startDevProcess({ data });
    const after = dev.info;
    aws = outside(after);
    try {
      expect(after.remote).toBe(before.remote);
      expect(after.secret).toBe(before.secret);
      expect(after.deployRoot).toBe(before.deployRoot);

      // History from before the restart, read through the new endpoints.
      expect(await aws.getRun(first.run.runId)).toMatchObject({ status: 'succeeded', sha: firstSha });
      expect((await aws.listTargets(first.run.runId)).map((t) => `${t.project}:${t.status}`)).toEqual([
        'app:succeeded',
        'web:succeeded',
      ]);
      expect((await aws.listDeployments('staging')).map((d) => `${d.project}@${d.sha}`).sort()).toEqual([
        `app@${firstSha}`,
        `web@${firstSha}`,
      ]);
      expect(await aws.getCurrent('staging', 'app')).toMatchObject({ sha: firstSha });

      const secondSha = await repo.commit({ 'app/version': '2\n' }, 'v2');
      const second = await aws.finished(await pushOneRun(repo, 'main'));
      expect(second.run.status).toBe('succeeded');
      // Compared with the commit the kept repository already had: only app changed.
      expect(second.targets).toMatchObject([{ project: 'app', environment: 'staging', status: 'succeeded' }]);
      expect((await aws.listDeployments('staging')).map((d) => `${d.project}@${d.sha}`)[0]).toBe(`app@${secondSha}`);
      expect(await aws.listDeployments('staging')).toHaveLength(3);
      expect(await aws.getCurrent('staging', 'app')).toMatchObject({ sha: secondSha });
      expect(await deployedVersion(after.deployRoot, 'staging')).toBe('2\n');
      expect(await ledgerLines(after.deployRoot, 'staging')).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2']);
    } finally {
      aws.destroy();
    }
    await stopDev();
  });
});
