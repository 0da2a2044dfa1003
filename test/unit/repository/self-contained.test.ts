import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A clone must stand on its own: `npm ci && npm test` in a directory with no siblings. Nothing tracked
// may point next to the clone (where a shared folder happened to sit once), and no test may read a
// path that leaves the repository.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url))
  .split(sep)
  .join('/');
/** Built, not written: this file would otherwise name what it looks for. */
const SIBLING_FOLDER = ['..', 'shared'].join('/');
/** The lockfile is npm's to write; a package of that name in it would not be a reference. */
const NOT_OURS = new Set(['package-lock.json', THIS_FILE]);

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);

/** The text of a tracked file, or undefined for a binary one (a NUL byte) or one deleted in the work tree. */
function textOf(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(ROOT, file));
  } catch {
    return undefined;
  }
  return bytes.includes(0) ? undefined : bytes.toString('utf8');
}

/** `file:line: text` of every line of `text` that contains `needle`. */
function linesWith(file: string, text: string, needle: string): string[] {
  return text
    .split('\n')
    .flatMap((line, index) => (line.includes(needle) ? [`${file}:${index + 1}: ${line.trim()}`] : []));
}

/**
 * Relative paths a file uses to reach other files: string literals starting with `./` or `../` in
 * code (import specifiers, `new URL('…', import.meta.url)`, `join(dir, '…')`), and paths built from the
 * script's own directory in shell (`"$here/../x"`, `$(dirname "$0")/../x`).
 */
function relativePaths(file: string, text: string): string[] {
  const code = /\.(ts|mts|js|mjs)$/.test(file);
  const pattern = code
    ? /['"`](\.\.?\/[^'"`$\s]*)['"`]/g
    : /(?:\$here|\$\(dirname "\$0"\)|\$\{here\})\/(\.\.?\/[^"'\s;)$}]*)/g;
  return [...text.matchAll(pattern)].map((match) => match[1]!);
}

function leavesRoot(file: string, path: string): boolean {
  const target = resolve(ROOT, dirname(file), path);
  const fromRoot = relative(ROOT, target);
  return fromRoot === '..' || fromRoot.startsWith(`..${sep}`);
}

describe('the repository stands on its own', () => {
  it('lists its tracked files (git ls-files)', () => {
    expect(tracked).toContain('package.json');
    expect(tracked.length).toBeGreaterThan(100);
  });

  it(`no tracked file refers to the folder beside the clone (${SIBLING_FOLDER})`, () => {
    const found = tracked
      .filter((file) => !NOT_OURS.has(file))
      .flatMap((file) => {
        const text = textOf(file);
        return text === undefined ? [] : linesWith(file, text, SIBLING_FOLDER);
      });
    expect(found).toEqual([]);
  });

  it('no test reads a path outside the repository root', () => {
    const tests = tracked.filter((file) => file.startsWith('test/') && file !== THIS_FILE);
    const escaping = tests.flatMap((file) => {
      const text = textOf(file);
      if (text === undefined) return [];
      return relativePaths(file, text)
        .filter((path) => leavesRoot(file, path))
        .map((path) => `${file}: ${path}`);
    });
    expect(escaping).toEqual([]);
  });

  it('sees the relative paths its tests use, so that the check above checks something', () => {
    const file = 'test/fixtures/bin/terraform';
    expect(relativePaths(file, textOf(file)!)).toContain('../terraform-plans/');
    const summarize = 'test/unit/plan/summarize-plan.test.ts';
    expect(relativePaths(summarize, textOf(summarize)!)).toContain('../../fixtures/terraform-plans/');
    // One level too many, from where those files are, leaves the repository.
    expect(leavesRoot(summarize, '../../../../fixtures/terraform-plans/')).toBe(true);
    expect(leavesRoot(file, '../../../../terraform-plans/')).toBe(true);
    expect(leavesRoot(summarize, '../../fixtures/terraform-plans/')).toBe(false);
  });
});
