import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startDevProcess, type DevProcess } from '../../helpers/dev-process.ts';
import { outside, type Outside } from './outside.ts';

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
