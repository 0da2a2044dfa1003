import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { startDevProcess, type DevProcess } from '../../helpers/dev-process.ts';
import { outside, type Outside } from './outside.ts';
import { workClone, type WorkClone } from './work-clone.ts';

export interface DevSession {
  dev: DevProcess;
  aws: Outside;
  /** A scratch directory for this file's clones. */
  root: string;
}

/**
 * One `pushgate dev` process for a test file, with AWS SDK clients on its printed endpoints and a
 * scratch directory; stopped (and checked to leave nothing running) after the file's tests.
 */
export function useDevSession(name: string, ready: (session: DevSession) => void): void {
  let session: Partial<DevSession> = {};
  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), `pushgate-e2e-${name}-`));
    session = { root };
    const dev = await startDevProcess();
    session = { root, dev, aws: outside(dev.info) };
    ready(session as DevSession);
  });
  afterAll(async () => {
    session.aws?.destroy();
    await session.dev?.stop();
    if (session.root) await rm(session.root, { recursive: true, force: true });
  });
}

/** One scenario's own `pushgate dev` process: its own table, repository, locks, deploy root and Slack. */
export interface Scenario extends DevSession {
  /** A new working copy in `root` (a dir named `name`, default `work`) with the process's remote as `pushgate`. */
  clone(name?: string): Promise<WorkClone>;
}

/** How long stopping a scenario may take: SIGTERM with the helper's 20 s, its 5 s check, the rm. */
const CLEANUP_TIMEOUT_MS = 40_000;

/**
 * A `pushgate dev` process and a scratch directory for the calling test alone, so that concurrent
 * scenarios each push `main` of their own repository (only the default branch deploys) and share no
 * lock, table or Slack. When the test finishes, pass or fail, the process is stopped (and checked to
 * leave nothing running, as useDevSession does) and the directory removed.
 *
 * Takes the test's context because concurrent tests must register `onTestFinished` on their own
 * context: the global hook finds "the current test", which another concurrent test may have become
 * by the time this is called.
 */
export async function startScenario(name: string, context: Pick<TestContext, 'onTestFinished'>): Promise<Scenario> {
  const root = await mkdtemp(join(tmpdir(), `pushgate-e2e-${name}-`));
  let session: Partial<DevSession> = { root };
  context.onTestFinished(async () => {
    try {
      session.aws?.destroy();
      await session.dev?.stop();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, CLEANUP_TIMEOUT_MS);
  const dev = await startDevProcess();
  const aws = outside(dev.info);
  session = { root, dev, aws };
  return { root, dev, aws, clone: (dir = 'work') => workClone(join(root, dir), dev.info.remote) };
}
