import { GitCommandError, gitSucceeds, runGit } from '../git/run-git.mjs';

export interface GitPerson {
  name: string;
  email: string;
  date: string;
}

export interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
}

export interface TreeEntry {
  type: 'blob' | 'tree' | 'commit';
  mode: string;
  sha: string;
  /** Bytes; undefined for trees and submodules. */
  size?: number;
  /** Path from the repository root. */
  path: string;
}

export type FileChangeStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';

export interface FileChange {
  filename: string;
  previous_filename?: string;
  status: FileChangeStatus;
  /** Blob sha of the new side (of the old side for a removal). */
  sha: string;
  additions: number;
  deletions: number;
  changes: number;
}

// The empty tree, for diffs of a root commit. https://git-scm.com/docs/git-hash-object
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const FIELD = '\x1f';
const RECORD = '\x1e';
const FORMAT = ['%H', '%T', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join('%x1f');

/** Read-only questions GitHub's REST API answers, asked of a local bare repository. */
export class GitRepository {
  constructor(readonly path: string) {}

  /** The commit a branch, tag or sha names; undefined when it names nothing. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    if (ref === '' || ref.startsWith('-')) return undefined;
    try {
      return (
        await runGit(this.path, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
      ).trim();
    } catch (error) {
      if (error instanceof GitCommandError) return undefined;
      throw error;
    }
  }

  async defaultBranch(): Promise<string> {
    try {
      return (await runGit(this.path, ['symbolic-ref', '--short', 'HEAD'])).trim();
    } catch {
      return 'main';
    }
  }

  /** The entry at `path` in a commit (the root tree for ''), or undefined. */
  async entry(commit: string, path: string): Promise<TreeEntry | undefined> {
    if (path === '') {
      const tree = (await runGit(this.path, ['rev-parse', `${commit}^{tree}`])).trim();
      return { type: 'tree', mode: '040000', sha: tree, path: '' };
    }
    const out = await runGit(this.path, ['ls-tree', '-z', '--long', '--full-tree', commit, '--', path]);
    const entry = parseTree(out, '')[0];
    // ls-tree matches a pathspec prefix; only an exact path is the entry asked for.
    return entry?.path === path ? entry : undefined;
  }

  /** Entries of a directory (`path` '' for the root). */
  async list(commit: string, path: string): Promise<TreeEntry[]> {
    const treeish = path === '' ? `${commit}^{tree}` : `${commit}:${path}`;
    return parseTree(await runGit(this.path, ['ls-tree', '-z', '--long', treeish]), path);
  }

  /**
   * A tree's sha and entries (a commit or ref peels to its tree; paths relative to it); `recursive`
   * lists every entry below it, trees included, as GitHub's Git Trees API does. Undefined when
   * `treeish` names no tree.
   */
  async tree(treeish: string, recursive: boolean): Promise<{ sha: string; entries: TreeEntry[] } | undefined> {
    if (treeish === '' || treeish.startsWith('-')) return undefined;
    let sha: string;
    try {
      sha = (
        await runGit(this.path, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${treeish}^{tree}`])
      ).trim();
    } catch (error) {
      if (error instanceof GitCommandError) return undefined;
      throw error;
    }
    const out = await runGit(this.path, ['ls-tree', '-z', '--long', ...(recursive ? ['-r', '-t'] : []), sha]);
    return { sha, entries: parseTree(out, '') };
  }

  readBlob(sha: string): Promise<Buffer> {
    return runGit(this.path, ['cat-file', 'blob', sha], { encoding: 'buffer' });
  }

  async commit(sha: string): Promise<GitCommit> {
    const [commit] = await this.log(['-1', sha]);
    return commit!;
  }

  /** Commits in `head` and not in `base`, oldest first, at most `limit`. */
  async commitsBetween(base: string, head: string, limit: number): Promise<GitCommit[]> {
    return (await this.log([`--max-count=${limit}`, `${base}..${head}`])).reverse();
  }

  async count(range: string): Promise<number> {
    return Number((await runGit(this.path, ['rev-list', '--count', range])).trim());
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return (await runGit(this.path, ['merge-base', a, b])).trim();
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return undefined;
      throw error;
    }
  }

  isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return gitSucceeds(this.path, ['merge-base', '--is-ancestor', ancestor, descendant]);
  }

  /** Files changed from `base` to `head` with line counts, renames detected (as GitHub's compare). */
  async diff(base: string | undefined, head: string): Promise<FileChange[]> {
    const from = base ?? EMPTY_TREE;
    const [raw, numstat] = await Promise.all([
      runGit(this.path, ['diff', '-z', '--raw', '--no-abbrev', '-M', from, head]),
      runGit(this.path, ['diff', '-z', '--numstat', '-M', from, head]),
    ]);
    const counts = parseNumstat(numstat);
    return parseRaw(raw).map((change, i) => {
      const { additions, deletions } = counts[i] ?? { additions: 0, deletions: 0 };
      return { ...change, additions, deletions, changes: additions + deletions };
    });
  }

  /**
   * The tree of merging `theirs` into `ours` (`git merge-tree --write-tree`, git 2.38+), written to
   * the object store; undefined when the merge has conflicts.
   */
  async mergeTree(ours: string, theirs: string): Promise<string | undefined> {
    try {
      const out = await runGit(this.path, ['merge-tree', '--write-tree', '--no-messages', ours, theirs]);
      return out.split('\n')[0]!.trim();
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return undefined;
      throw error;
    }
  }

  /** Writes a commit object (never signed) and returns its sha. */
  async commitTree(options: {
    tree: string;
    parents: string[];
    message: string;
    author: { name: string; email: string };
    committer: { name: string; email: string };
  }): Promise<string> {
    const { tree, parents, message, author, committer } = options;
    const out = await runGit(this.path, ['commit-tree', '--no-gpg-sign', ...parents.flatMap((p) => ['-p', p]), tree], {
      input: message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
      },
    });
    return out.trim();
  }

  /**
   * Points `ref` at `sha`, only if it still points at `expected` (the zero sha: only if it does not
   * exist); false when it moved meanwhile.
   */
  async updateRef(ref: string, sha: string, expected?: string): Promise<boolean> {
    try {
      await runGit(this.path, ['update-ref', ref, sha, ...(expected === undefined ? [] : [expected])]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError && expected !== undefined) return false;
      throw error;
    }
  }

  private async log(args: string[]): Promise<GitCommit[]> {
    const out = await runGit(this.path, ['log', `--format=${RECORD}${FORMAT}`, ...args]);
    return out
      .split(RECORD)
      .filter((record) => record !== '')
      .map((record) => {
        const [sha, tree, parents, an, ae, ad, cn, ce, cd, message = ''] = record.split(FIELD);
        return {
          sha: sha!,
          tree: tree!,
          parents: parents ? parents.split(' ') : [],
          author: { name: an!, email: ae!, date: ad! },
          committer: { name: cn!, email: ce!, date: cd! },
          message: message.replace(/\n+$/, ''),
        };
      });
  }
}

/** `<mode> SP <type> SP <sha> SP+ <size> TAB <name> NUL`, from `ls-tree -z --long`. */
function parseTree(out: string, dir: string): TreeEntry[] {
  return out
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
      const name = line.slice(tab + 1);
      return {
        mode: mode!,
        type: type as TreeEntry['type'],
        sha: sha!,
        size: size === '-' ? undefined : Number(size),
        path: dir === '' ? name : `${dir}/${name}`,
      };
    });
}

const STATUS: Record<string, FileChangeStatus> = {
  A: 'added',
  D: 'removed',
  M: 'modified',
  R: 'renamed',
  C: 'copied',
  T: 'changed',
};

/** `:<old mode> <new mode> <old sha> <new sha> <status>` NUL `<path>` NUL [`<new path>` NUL]. */
function parseRaw(out: string): Omit<FileChange, 'additions' | 'deletions' | 'changes'>[] {
  const parts = out.split('\0');
  const changes: Omit<FileChange, 'additions' | 'deletions' | 'changes'>[] = [];
  for (let i = 0; i < parts.length;) {
    const meta = parts[i++];
    if (!meta?.startsWith(':')) continue;
    const [, , oldSha, newSha, code = 'M'] = meta.slice(1).split(' ');
    const letter = code[0]!;
    const status = STATUS[letter] ?? 'changed';
    if (letter === 'R' || letter === 'C') {
      const previous = parts[i++]!;
      const filename = parts[i++]!;
      changes.push({ filename, previous_filename: previous, status, sha: newSha! });
    } else {
      const filename = parts[i++]!;
      changes.push({ filename, status, sha: letter === 'D' ? oldSha! : newSha! });
    }
  }
  return changes;
}

/** `<added> TAB <deleted> TAB <path> NUL`, or for a rename `<added> TAB <deleted> TAB NUL <old> NUL <new> NUL`; `-` for binary. */
function parseNumstat(out: string): { additions: number; deletions: number }[] {
  const parts = out.split('\0');
  const counts: { additions: number; deletions: number }[] = [];
  for (let i = 0; i < parts.length;) {
    const line = parts[i++]!;
    if (line === '') continue;
    const [added, deleted, path] = line.split('\t');
    if (path === '') i += 2;
    counts.push({ additions: added === '-' ? 0 : Number(added), deletions: deleted === '-' ? 0 : Number(deleted) });
  }
  return counts;
}
