/** One entry of a git tree listing, its path relative to the listed tree. */
export interface TreeListingEntry {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
}

/**
 * A tree as the git host lists it: `recursive` lists every entry below it (trees too), else only its
 * own entries. `truncated`: the host cut a recursive listing (GitHub: past 100,000 entries or 7 MB).
 * https://docs.github.com/en/rest/git/trees#get-a-tree
 */
export interface TreeListing {
  /** The tree's own sha (a commit given as the tree-ish is peeled to its tree). */
  sha: string;
  truncated: boolean;
  entries: TreeListingEntry[];
}

/** Lists a tree (a commit sha peels to its tree); undefined when the host has no such object. */
export type ReadTree = (treeish: string, recursive: boolean) => Promise<TreeListing | undefined>;

export interface DiffTreesOptions {
  /**
   * Most tree listings one diff may request: a repository too large to walk within it counts as
   * unknown (every project changed) rather than spending the installation's hourly rate limit.
   */
  maxRequests?: number;
  /** Listings requested at once. */
  concurrency?: number;
}

export const DEFAULT_MAX_TREE_REQUESTS = 200;
const DEFAULT_CONCURRENCY = 8;

/** A side of the comparison below the root: a tree by sha, with its full listing when already known. */
type Side = { sha: string; entries?: TreeListingEntry[] } | undefined;

class UnknownTree extends Error {}
class OverBudget extends Error {}

/**
 * Paths whose blob (content), mode or type differ between the trees of `from` and `to`: a two-dot
 * diff by tree shas, the way git compares trees. Each side is listed recursively in one request;
 * a listing the host truncated is walked one level at a time instead, each differing subtree again
 * recursively, and subtrees whose sha is equal on both sides are never listed. Undefined when either
 * commit is unknown or the walk would take more than `maxRequests` listings.
 */
export async function diffTrees(
  readTree: ReadTree,
  from: string,
  to: string,
  options: DiffTreesOptions = {},
): Promise<string[] | undefined> {
  const maxRequests = options.maxRequests ?? DEFAULT_MAX_TREE_REQUESTS;
  const slots = limiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  let requests = 0;
  // Once the answer is known to be "unknown", listings still waiting for a slot are not requested.
  let stopped = false;
  const changed = new Set<string>();

  const read = async (sha: string, recursive: boolean): Promise<TreeListing> => {
    requests += 1;
    if (requests > maxRequests) throw new OverBudget();
    const listing = await slots(() => (stopped ? Promise.resolve(undefined) : readTree(sha, recursive)));
    if (listing === undefined) throw new UnknownTree();
    return listing;
  };

  /** The full listing of a side: known already, empty for a missing side, else one recursive request. */
  const expand = async (side: Side): Promise<TreeListing> => {
    if (side === undefined) return { sha: '', truncated: false, entries: [] };
    if (side.entries !== undefined) return { sha: side.sha, truncated: false, entries: side.entries };
    return read(side.sha, true);
  };

  /** A listing's own entries, each subtree with its listing when the recursive one was complete. */
  const level = async (listing: TreeListing): Promise<Map<string, { entry: TreeListingEntry; side: Side }>> => {
    const top = new Map<string, { entry: TreeListingEntry; side: Side }>();
    if (listing.sha === '') return top;
    if (listing.truncated) {
      for (const entry of (await read(listing.sha, false)).entries) {
        top.set(entry.path, { entry, side: entry.type === 'tree' ? { sha: entry.sha } : undefined });
      }
      return top;
    }
    const below = new Map<string, TreeListingEntry[]>();
    for (const entry of listing.entries) {
      const slash = entry.path.indexOf('/');
      if (slash === -1) {
        top.set(entry.path, { entry, side: undefined });
        continue;
      }
      const name = entry.path.slice(0, slash);
      let list = below.get(name);
      if (!list) below.set(name, (list = []));
      list.push({ ...entry, path: entry.path.slice(slash + 1) });
    }
    for (const [name, item] of top) {
      if (item.entry.type === 'tree') item.side = { sha: item.entry.sha, entries: below.get(name) ?? [] };
    }
    return top;
  };

  const walk = async (prefix: string, a: Side, b: Side): Promise<void> => {
    if (a?.sha === b?.sha) return;
    const [left, right] = await Promise.all([expand(a), expand(b)]);
    if (left.sha !== '' && left.sha === right.sha) return;
    if (!left.truncated && !right.truncated) {
      addFlatDiff(changed, prefix, left.entries, right.entries);
      return;
    }
    const [leftLevel, rightLevel] = await Promise.all([level(left), level(right)]);
    const subtrees: Promise<void>[] = [];
    for (const name of new Set([...leftLevel.keys(), ...rightLevel.keys()])) {
      const l = leftLevel.get(name);
      const r = rightLevel.get(name);
      const path = join(prefix, name);
      const lLeaf = l && l.entry.type !== 'tree' ? l.entry : undefined;
      const rLeaf = r && r.entry.type !== 'tree' ? r.entry : undefined;
      if ((lLeaf || rLeaf) && !sameLeaf(lLeaf, rLeaf)) changed.add(path);
      const lTree = l?.entry.type === 'tree' ? l.side : undefined;
      const rTree = r?.entry.type === 'tree' ? r.side : undefined;
      if (lTree || rTree) subtrees.push(walk(path, lTree, rTree));
    }
    await Promise.all(subtrees);
  };

  try {
    await walk('', { sha: from }, { sha: to });
  } catch (error) {
    stopped = true;
    if (error instanceof UnknownTree || error instanceof OverBudget) return undefined;
    throw error;
  }
  return [...changed].sort();
}

/** Leaves (files, symlinks, submodules) of two complete listings that differ, by path. */
function addFlatDiff(changed: Set<string>, prefix: string, left: TreeListingEntry[], right: TreeListingEntry[]): void {
  const before = new Map<string, TreeListingEntry>();
  for (const entry of left) if (entry.type !== 'tree') before.set(entry.path, entry);
  for (const entry of right) {
    if (entry.type === 'tree') continue;
    const old = before.get(entry.path);
    if (!sameLeaf(old, entry)) changed.add(join(prefix, entry.path));
    before.delete(entry.path);
  }
  for (const path of before.keys()) changed.add(join(prefix, path));
}

function sameLeaf(a: TreeListingEntry | undefined, b: TreeListingEntry | undefined): boolean {
  return a !== undefined && b !== undefined && a.type === b.type && a.sha === b.sha && a.mode === b.mode;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** At most `size` calls in flight. */
function limiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finished call hands its slot to the next waiting one, so no newcomer can take it meanwhile.
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
