import picomatch from 'picomatch';

/**
 * The files of a change, indexed to answer "does this project's `watch` match any of them?" at a
 * cost that grows with the files under each glob's literal base, not with every file of the change:
 * 1,000 projects × 10,000 changed files is 10 million matcher calls the plain way, and about one
 * sorted-range lookup per project this way. The answer is exactly `files.some(picomatch(watch,
 * { dot: true }))`.
 */
export interface ChangedFileIndex {
  watchesAny(watch: readonly string[]): boolean;
}

const OPTIONS = { dot: true } as const;
// A base spelled with an escape or a quote is not the literal prefix of the files it matches.
const UNSAFE_BASE = /[\\"'`]/;

/**
 * Why a literal base prunes exactly: a glob (not negated) matches a path only if the path starts with
 * the part before its first glob character, up to a slash. Picomatch strips a leading `./` from the
 * glob but not from the path, so a path spelled `./…` (or with a backslash) may match a glob whose
 * base it does not start with: such paths (never produced by git) are tested against every glob.
 */
function irregular(file: string): boolean {
  return file.startsWith('./') || file.includes('\\');
}

export function indexChangedFiles(files: readonly string[]): ChangedFileIndex {
  // Default sort is UTF-16 code unit order, the order `<` compares in (the binary search below).
  const sorted = [...files].sort();
  const present = new Set(files);
  const odd = files.filter(irregular);
  // A glob is asked once: the same project in two environments, or two projects sharing a glob.
  const answers = new Map<string, boolean>();

  /** Whether `matcher` accepts a file that starts with `prefix`: a binary search, then that range only. */
  const anyUnder = (prefix: string, matcher: (file: string) => boolean): boolean => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sorted[middle]! < prefix) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < sorted.length && sorted[i]!.startsWith(prefix); i++) if (matcher(sorted[i]!)) return true;
    return false;
  };

  const globMatches = (glob: string): boolean => {
    const matcher = picomatch(glob, OPTIONS);
    const { base, negated } = picomatch.scan(glob);
    if (negated || base === '' || UNSAFE_BASE.test(base)) return files.some((file) => matcher(file));
    const prefix = base.endsWith('/') ? base : `${base}/`;
    if (present.has(base) && matcher(base)) return true;
    return anyUnder(prefix, matcher) || odd.some((file) => matcher(file));
  };

  return {
    watchesAny(watch) {
      return watch.some((glob) => {
        let answer = answers.get(glob);
        if (answer === undefined) {
          answer = globMatches(glob);
          answers.set(glob, answer);
        }
        return answer;
      });
    },
  };
}

const indexes = new WeakMap<readonly string[], { length: number; index: ChangedFileIndex }>();

/**
 * `files.some(picomatch(watch, { dot: true }))`, with the index of `files` built on the first call
 * for that array and kept while the array lives (a Validate asks once per target). The array must not
 * change between calls; a change in its length is caught and the index rebuilt.
 */
export function watchesAny(watch: readonly string[], files: readonly string[]): boolean {
  let entry = indexes.get(files);
  if (entry === undefined || entry.length !== files.length) {
    entry = { length: files.length, index: indexChangedFiles(files) };
    indexes.set(files, entry);
  }
  return entry.index.watchesAny(watch);
}
