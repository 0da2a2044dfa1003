import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DevProcess } from '../helpers/dev-process.ts';
import { useDevSession } from './support/dev-session.ts';
import { commandRepo, deployedVersion, ledgerLines } from './support/command-repo.ts';
import type { Outside } from './support/outside.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// Ten pushes to main in quick succession, through `pushgate dev` from outside. An environment always
// ends at the commit its branch points to: a run whose commit is no longer main's head when it
// validates is skipped, one that finds main moved on before it applies (or reaches the lock after a
// newer run deployed) is superseded; the runs that do apply go one at a time in push order. The
// deploy tool's ledger shows whether two applies ever overlapped.

const PUSHES = 10;

let dev: DevProcess;
let aws: Outside;
let root: string;
useDevSession('burst', (session) => ({ dev, aws, root } = session));

describe('pushgate dev, driven from outside: a burst of pushes', () => {
  it(`${PUSHES} pushes: every run recorded, applies serialised, the last commit deployed`, async () => {
    const repo = await workClone(join(root, 'burst'), dev.info.remote);
    const pushes: { sha: string; runId: string }[] = [];
    for (let version = 1; version <= PUSHES; version += 1) {
      const files = version === 1 ? commandRepo('main', { environments: ['burst-staging'] }) : {};
      const sha = await repo.commit({ ...files, 'app/version': `${version}\n` }, `v${version}`);
      pushes.push({ sha, runId: await pushOneRun(repo, 'main') });
    }
    const results = await Promise.all(pushes.map(({ runId }) => aws.finished(runId, 55_000)));

    // Every push has its own run on record, for its own commit, and it ended one of the three ways.
    expect(new Set(results.map((result) => result.run.runId)).size).toBe(PUSHES);
    results.forEach((result, index) => {
      expect(result.run.sha).toBe(pushes[index]!.sha);
      expect(result.execution.status).toBe('SUCCEEDED');
      expect(['succeeded', 'superseded', 'skipped']).toContain(result.run.status);
      if (result.run.status === 'skipped') {
        // Main had moved on before it validated: it planned nothing, and says where main is.
        expect(result.targets).toHaveLength(0);
        expect(result.run.reason).toMatch(/^main now points to [0-9a-f]{7}, not [0-9a-f]{7}/);
      } else {
        expect(result.targets).toHaveLength(1);
        expect(result.targets[0]!.status).toBe(result.run.status);
      }
    });
    const last = results.at(-1)!;
    expect(last.run.status).toBe('succeeded');

    // Applies never overlapped, and went forward only: each a newer version than the one before.
    const ledger = await ledgerLines(dev.info.deployRoot, 'burst-staging');
    const applied: number[] = [];
    for (let line = 0; line < ledger.length; line += 2) {
      const begin = /^begin (\d+)$/.exec(ledger[line]!);
      expect(begin, `ledger line ${line}: ${ledger[line]}`).not.toBeNull();
      expect(ledger[line + 1]).toBe(`end ${begin![1]}`);
      applied.push(Number(begin![1]));
    }
    expect(applied).toEqual([...applied].sort((a, b) => a - b));
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied.at(-1)).toBe(PUSHES);
    // Exactly the runs that succeeded applied, and each of them is in the history.
    const succeeded = results.filter((result) => result.run.status === 'succeeded');
    expect(applied).toHaveLength(succeeded.length);
    expect((await aws.listDeployments('burst-staging')).map((d) => d.runId).sort()).toEqual(
      succeeded.map((result) => result.run.runId).sort(),
    );

    expect(await aws.getCurrent('burst-staging', 'app')).toMatchObject({
      sha: pushes.at(-1)!.sha,
      runId: last.run.runId,
    });
    expect(await deployedVersion(dev.info.deployRoot, 'burst-staging')).toBe(`${PUSHES}\n`);
    expect((await aws.getLock({ repo: dev.info.repo, project: 'app', environment: 'burst-staging' }))?.owner).toBe(
      undefined,
    );
  }, 90_000);
});
