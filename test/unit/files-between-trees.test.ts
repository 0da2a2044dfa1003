import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  diffTrees,
  type ReadTree,
  type TreeListing,
  type TreeListingEntry,
} from '../../functions/lib/git/diff-trees.ts';

/**
 * An object store shaped like git's: a commit is a flat map of path → content (a leading `x:` makes
 * the file executable), turned into nested trees whose sha hashes their entries, so equal directories
 * share a sha as in git. `readTree` answers like GitHub's Git Trees API, cutting recursive listings
 * past `limit` entries. The oracle is the flat maps themselves.
 */
function createStore(limit = Number.POSITIVE_INFINITY) {
  const trees = new Map<string, TreeListingEntry[]>();
  const commits = new Map<string, string>();
  const reads: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const hash = (text: string) => createHash('sha1').update(text).digest('hex');

  const writeTree = (files: Record<string, string>): string => {
    const direct: TreeListingEntry[] = [];
    const below = new Map<string, Record<string, string>>();
    for (const [path, content] of Object.entries(files)) {
      const slash = path.indexOf('/');
      if (slash === -1) {
        const executable = content.startsWith('x:');
        direct.push({ path, mode: executable ? '100755' : '100644', type: 'blob', sha: hash(`blob ${content}`) });
      } else {
        const name = path.slice(0, slash);
        let sub = below.get(name);
        if (!sub) below.set(name, (sub = {}));
        sub[path.slice(slash + 1)] = content;
      }
    }
    for (const [name, sub] of below) direct.push({ path: name, mode: '040000', type: 'tree', sha: writeTree(sub) });
    direct.sort((a, b) => a.path.localeCompare(b.path));
    const sha = hash(JSON.stringify(direct));
    trees.set(sha, direct);
    return sha;
  };

  const listAll = (sha: string, prefix = ''): TreeListingEntry[] =>
    trees.get(sha)!.flatMap((entry) => {
      const path = prefix === '' ? entry.path : `${prefix}/${entry.path}`;
      const self = { ...entry, path };
      return entry.type === 'tree' ? [self, ...listAll(entry.sha, path)] : [self];
    });

  const readTree: ReadTree = async (treeish, recursive) => {
    reads.push(`${treeish.slice(0, 7)}${recursive ? ' -r' : ''}`);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight -= 1;
    const sha = commits.get(treeish) ?? treeish;
    if (!trees.has(sha)) return undefined;
    if (!recursive) return { sha, truncated: false, entries: trees.get(sha)! };
    const entries = listAll(sha);
    const listing: TreeListing = { sha, truncated: entries.length > limit, entries: entries.slice(0, limit) };
    return listing;
  };

  return {
    readTree,
    reads,
    get maxInFlight() {
      return maxInFlight;
    },
    commit(name: string, files: Record<string, string>): string {
      const id = hash(`commit ${name}`);
      commits.set(id, writeTree(files));
      return id;
    },
    treeOf(commit: string): string {
      return commits.get(commit)!;
    },
  };
}

/** What git would say (`git diff --name-only`), from the flat maps. */
function oracle(before: Record<string, string>, after: Record<string, string>): string[] {
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((path) => before[path] !== after[path]).sort();
}

/** `projects` directories of `files` files each, plus a root file. */
function monorepo(projects: number, files: number, edit: (project: number, file: number) => string = () => 'v1') {
  const tree: Record<string, string> = { 'pushgate.yml': 'version: 1\n' };
  for (let p = 0; p < projects; p++) {
    for (let f = 0; f < files; f++) tree[`projects/p${p}/src/f${f}.tf`] = `${p}/${f}:${edit(p, f)}`;
  }
  return tree;
}

describe('diffTrees', () => {
  const before = {
    'pushgate.yml': 'version: 1\n',
    'infra/network/main.tf': 'a',
    'infra/network/vars.tf': 'b',
    'infra/dns/main.tf': 'c',
    'infra/dns/zone.tf': 'd',
    'scripts/run.sh': 'echo',
    'docs/readme.md': 'docs',
    'same/deep/er/file': 'unchanged',
  };
  const after = {
    'pushgate.yml': 'version: 1\n',
    'infra/network/main.tf': 'a2', // modified
    'infra/network/vars.tf': 'b',
    'infra/app/main.tf': 'c', // infra/dns/main.tf renamed
    'infra/dns/zone.tf': 'd',
    'scripts/run.sh': 'x:echo', // mode only
    'docs/readme.md/part.md': 'docs', // a file became a directory
    'same/deep/er/file': 'unchanged',
  };

  it('lists what git lists, from one recursive listing per side', async () => {
    const store = createStore();
    const from = store.commit('before', before);
    const to = store.commit('after', after);
    const changed = await diffTrees(store.readTree, from, to);
    expect(changed).toEqual(oracle(before, after));
    expect(changed).toEqual([
      'docs/readme.md',
      'docs/readme.md/part.md',
      'infra/app/main.tf',
      'infra/dns/main.tf',
      'infra/network/main.tf',
      'scripts/run.sh',
    ]);
    expect(store.reads).toEqual([`${from.slice(0, 7)} -r`, `${to.slice(0, 7)} -r`]);
  });

  it('answers the same when listings are truncated, walking only the subtrees that differ', async () => {
    const store = createStore(3);
    const from = store.commit('before', before);
    const to = store.commit('after', after);
    expect(await diffTrees(store.readTree, from, to)).toEqual(oracle(before, after));
    // The roots were cut, so they are listed one level down; `same/` has the same sha on both sides
    // and is never listed.
    const [fromTree, toTree] = [store.treeOf(from).slice(0, 7), store.treeOf(to).slice(0, 7)];
    expect(store.reads).toEqual(expect.arrayContaining([fromTree, toTree]));
    const sameSha = (await store.readTree(store.treeOf(to), false))!.entries.find((e) => e.path === 'same')!.sha;
    expect(store.reads.map((read) => read.split(' ')[0])).not.toContain(sameSha.slice(0, 7));
  });

  it('equal trees of different commits cost the two root listings and nothing else', async () => {
    const store = createStore();
    const from = store.commit('one', before);
    const to = store.commit('two', { ...before });
    expect(await diffTrees(store.readTree, from, to)).toEqual([]);
    expect(store.reads).toHaveLength(2);
    expect(await diffTrees(store.readTree, from, from)).toEqual([]);
    expect(store.reads).toHaveLength(2);
  });

  it('a 10,000-file change in a 1,000-project repository: exact, in two listings below the cap', async () => {
    const store = createStore(100_000);
    const old = monorepo(1000, 12);
    // 10,000 files of 834 projects change; the other 166 projects do not.
    const changedProject = (p: number) => p < 834;
    const next = monorepo(1000, 12, (p, f) => (changedProject(p) && p * 12 + f < 10_000 ? 'v2' : 'v1'));
    const store1 = { from: store.commit('old', old), to: store.commit('new', next) };
    const changed = await diffTrees(store.readTree, store1.from, store1.to);
    expect(changed).toHaveLength(10_000);
    expect(changed).toEqual(oracle(old, next));
    expect(store.reads).toHaveLength(2);
  });

  it('the same change past the cap walks level by level and still answers exactly', async () => {
    const store = createStore(5_000);
    const old = monorepo(1000, 12);
    const next = monorepo(1000, 12, (p, f) => (p * 12 + f < 10_000 ? 'v2' : 'v1'));
    const from = store.commit('old', old);
    const to = store.commit('new', next);
    const changed = await diffTrees(store.readTree, from, to, { maxRequests: 10_000 });
    expect(changed).toEqual(oracle(old, next));
    // Unchanged projects (p834…p999, bar the one split) are never listed on their own.
    expect(store.reads.length).toBeLessThan(2 + 4 + 2 * 1000);
    expect(store.maxInFlight).toBeLessThanOrEqual(8);
  });

  it('is unknown when a commit is unknown or the walk needs more listings than allowed', async () => {
    const store = createStore(3);
    const from = store.commit('before', before);
    const to = store.commit('after', after);
    expect(await diffTrees(store.readTree, from, 'f'.repeat(40))).toBeUndefined();
    expect(await diffTrees(store.readTree, from, to, { maxRequests: 4 })).toBeUndefined();
    // Nothing more is asked once the answer is "unknown": queued listings are dropped.
    const old = monorepo(40, 3);
    const next = monorepo(40, 3, () => 'v2');
    const wide = createStore(10);
    const [a, b] = [wide.commit('a', old), wide.commit('b', next)];
    expect(await diffTrees(wide.readTree, a, b, { maxRequests: 20, concurrency: 2 })).toBeUndefined();
    const asked = wide.reads.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(wide.reads).toHaveLength(asked);
    expect(asked).toBeLessThanOrEqual(20);
    expect(await diffTrees(store.readTree, from, to, { maxRequests: 100 })).toEqual(oracle(before, after));
  });

  it('keeps at most `concurrency` listings in flight', async () => {
    const store = createStore(10);
    const old = monorepo(40, 3);
    const next = monorepo(40, 3, () => 'v2');
    await diffTrees(store.readTree, store.commit('a', old), store.commit('b', next), {
      concurrency: 2,
      maxRequests: 1000,
    });
    expect(store.maxInFlight).toBe(2);
  });

  it('passes the host’s failures on', async () => {
    const failing: ReadTree = async () => {
      throw new Error('HTTP 502');
    };
    await expect(diffTrees(failing, 'a'.repeat(40), 'b'.repeat(40))).rejects.toThrow('HTTP 502');
  });
});
