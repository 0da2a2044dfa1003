import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevProcess, type DevInfo, type DevProcess } from '../helpers/dev-process.ts';
import { commandRepo, deployedVersion, ledgerLines } from './support/command-repo.ts';
import { outside } from './support/outside.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// `pushgate dev --data DIR` stopped with SIGTERM and started again on the same DIR: the table, the
// artifacts, the repository and the webhook secret are still there, so history is, and pushes deploy.
// The ports are too, when they are still free: the exports a user pasted in another shell stay valid.

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

/** The services whose port of the last start was taken, as `pushgate dev` reported them on stderr. */
function movedServices(running: DevProcess): string[] {
  return [...running.stderr().matchAll(/port \d+ \((\w+)\) of the last start is taken/g)].map((match) => match[1]!);
}

/** The port of every service, the webhook's included. */
function ports(info: DevInfo): Record<string, string> {
  const urls = { webhook: info.webhookUrl, ...info.endpoints };
  return Object.fromEntries(Object.entries(urls).map(([service, url]) => [service, new URL(url).port]));
}

/**
 * Every service listens where it did before the restart, but those reported as moved: another
 * process may take a freed port in between, and then the note is what a user sees.
 */
function expectSamePorts(before: DevInfo, after: DevInfo, moved: string[]): void {
  const kept = (all: Record<string, string>) => Object.entries(all).filter(([service]) => !moved.includes(service));
  expect(kept(ports(after))).toEqual(kept(ports(before)));
}

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
      // The AWS credentials too: the printed exports (and the SDK clients made from them) stay valid.
      expect(after.credentials).toEqual(before.credentials);
      expect(after.deployRoot).toBe(before.deployRoot);
      const moved = movedServices(dev);
      expectSamePorts(before, after, moved);
      if (moved.length === 0) expect(after.exports).toEqual(before.exports);

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

  it('gives a service whose port was taken meanwhile a new one, says so, and keeps the others', async () => {
    const data = join(root, 'data-taken');
    dev = await startDevProcess({ data });
    const before = dev.info;
    const probe = { TableName: before.tableName, Key: { pk: 'RESTART#probe', sk: 'PROBE' } };
    let aws = outside(before);
    try {
      await aws.putItem({ ...probe.Key, note: 'written before the restart' });
    } finally {
      aws.destroy();
    }
    await stopDev();

    // Another program takes DynamoDB's port while pushgate dev is stopped (if one already did, fine).
    const taken = Number(new URL(before.endpoints.dynamodb).port);
    const squatter: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EADDRINUSE' ? resolve() : reject(error),
      );
      squatter.listen(taken, '127.0.0.1', () => resolve());
    });
    let after: DevInfo;
    try {
      dev = await startDevProcess({ data });
      after = dev.info;
    } finally {
      if (squatter.listening) await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    expect(dev.stderr()).toContain(
      `pushgate dev: port ${taken} (dynamodb) of the last start is taken; it gets a new one: export the new values`,
    );
    expect(after.endpoints.dynamodb).not.toBe(before.endpoints.dynamodb);
    expect(after.exports.AWS_ENDPOINT_URL_DYNAMODB).toBe(after.endpoints.dynamodb);
    expectSamePorts(before, after, movedServices(dev));
    // The table on disk is the one from before, on its new port.
    aws = outside(after);
    try {
      const { Item } = await aws.dynamo.send(new GetCommand(probe));
      expect(Item).toMatchObject({ note: 'written before the restart' });
    } finally {
      aws.destroy();
    }
    await stopDev();

    // The next start keeps the new port: it is the one the exports now name.
    dev = await startDevProcess({ data });
    try {
      expectSamePorts(after, dev.info, movedServices(dev));
    } finally {
      await stopDev();
    }
  }, 60_000);
});
