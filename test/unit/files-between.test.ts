import { describe, expect, it } from 'vitest';
import { filesBetween } from '../../functions/lib/git/files-between.ts';
import type { Comparison, GitHost } from '../../functions/lib/git/git-host.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/**
 * A GitHost with only what filesBetween asks: comparisons by `base...head` (undefined files: the
 * list was cut at 300) and a tree diff by `from..to`. Every call is logged.
 */
function host(
  comparisons: Record<string, Comparison | undefined>,
  trees: Record<string, string[] | undefined> | undefined,
): { gitHost: GitHost; calls: string[] } {
  const calls: string[] = [];
  const short = (sha: string) => sha.slice(0, 1);
  const unused = () => {
    throw new Error('not used by filesBetween');
  };
  const gitHost: GitHost = {
    getFile: unused,
    changedFiles: unused,
    getDefaultBranch: unused,
    cloneUrl: unused,
    getPullRequest: unused,
    getPermission: unused,
    async compare(_repo, base, head) {
      calls.push(`compare ${short(base)}...${short(head)}`);
      return comparisons[`${base}...${head}`];
    },
    ...(trees === undefined
      ? {}
      : {
          async diffTrees(_repo: string, from: string, to: string) {
            calls.push(`diffTrees ${short(from)}..${short(to)}`);
            return trees[`${from}..${to}`];
          },
        }),
  };
  return { gitHost, calls };
}

const many = Array.from({ length: 1200 }, (_, i) => `projects/p${i}/main.tf`);

describe('filesBetween', () => {
  it('the same commit: nothing changed, nothing asked', async () => {
    const { gitHost, calls } = host({}, {});
    expect(await filesBetween(gitHost, 'acme/infra', A, A)).toEqual({ files: [], backwards: false });
    expect(calls).toEqual([]);
  });

  it('ahead, listed whole: one comparison, no trees', async () => {
    const { gitHost, calls } = host({ [`${A}...${B}`]: { status: 'ahead', files: ['x/main.tf'] } }, {});
    expect(await filesBetween(gitHost, 'acme/infra', A, B)).toEqual({ files: ['x/main.tf'], backwards: false });
    expect(calls).toEqual(['compare a...b']);
  });

  it('ahead past compare’s 300 files: the trees say exactly what changed', async () => {
    const { gitHost, calls } = host(
      { [`${A}...${B}`]: { status: 'ahead', files: undefined } },
      { [`${A}..${B}`]: many },
    );
    expect(await filesBetween(gitHost, 'acme/infra', A, B)).toEqual({ files: many, backwards: false });
    expect(calls).toEqual(['compare a...b', 'diffTrees a..b']);
  });

  it('behind: the reverse comparison, or the trees when it is cut too; backwards either way', async () => {
    const listed = host(
      {
        [`${A}...${B}`]: { status: 'behind', files: [] },
        [`${B}...${A}`]: { status: 'ahead', files: ['x/main.tf'] },
      },
      {},
    );
    expect(await filesBetween(listed.gitHost, 'acme/infra', A, B)).toEqual({ files: ['x/main.tf'], backwards: true });
    expect(listed.calls).toEqual(['compare a...b', 'compare b...a']);

    const cut = host(
      {
        [`${A}...${B}`]: { status: 'behind', files: [] },
        [`${B}...${A}`]: { status: 'ahead', files: undefined },
      },
      { [`${A}..${B}`]: many },
    );
    expect(await filesBetween(cut.gitHost, 'acme/infra', A, B)).toEqual({ files: many, backwards: true });
    expect(cut.calls).toEqual(['compare a...b', 'compare b...a', 'diffTrees a..b']);
  });

  it('diverged: both comparisons joined, or the trees alone when the first is cut', async () => {
    const listed = host(
      {
        [`${A}...${B}`]: { status: 'diverged', files: ['new/main.tf', 'both.tf'] },
        [`${B}...${A}`]: { status: 'diverged', files: ['old/main.tf', 'both.tf'] },
      },
      {},
    );
    expect(await filesBetween(listed.gitHost, 'acme/infra', A, B)).toEqual({
      files: ['new/main.tf', 'both.tf', 'old/main.tf'],
      backwards: false,
    });

    const cut = host({ [`${A}...${B}`]: { status: 'diverged', files: undefined } }, { [`${A}..${B}`]: many });
    expect(await filesBetween(cut.gitHost, 'acme/infra', A, B)).toEqual({ files: many, backwards: false });
    expect(cut.calls).toEqual(['compare a...b', 'diffTrees a..b']);

    const secondCut = host(
      {
        [`${A}...${B}`]: { status: 'diverged', files: ['new/main.tf'] },
        [`${B}...${A}`]: { status: 'diverged', files: undefined },
      },
      { [`${A}..${B}`]: many },
    );
    expect(await filesBetween(secondCut.gitHost, 'acme/infra', A, B)).toEqual({ files: many, backwards: false });
  });

  it('commits compare cannot relate (unrelated histories) are compared by their trees', async () => {
    const { gitHost, calls } = host({}, { [`${A}..${B}`]: ['x/main.tf'] });
    expect(await filesBetween(gitHost, 'acme/infra', A, B)).toEqual({ files: ['x/main.tf'], backwards: false });
    expect(calls).toEqual(['compare a...b', 'diffTrees a..b']);
  });

  it('unknown when the trees are unknown too, or the host cannot compare trees', async () => {
    const gone = host({}, {});
    expect(await filesBetween(gone.gitHost, 'acme/infra', A, B)).toEqual({ files: undefined, backwards: false });
    const noTrees = host({ [`${A}...${B}`]: { status: 'ahead', files: undefined } }, undefined);
    expect(await filesBetween(noTrees.gitHost, 'acme/infra', A, B)).toEqual({ files: undefined, backwards: false });
    expect(noTrees.calls).toEqual(['compare a...b']);
  });
});
