import picomatch from 'picomatch';
import { describe, expect, it, vi } from 'vitest';
import { indexChangedFiles, watchesAny } from '../../../functions/lib/targets/changed-file-index.ts';

// Every path picomatch is asked about, to show what the index spares it (picomatch itself unchanged).
const asked = vi.hoisted(() => [] as string[]);
vi.mock('picomatch', async (original) => {
  const real = (await original<{ default: typeof picomatch }>()).default;
  const counting = Object.assign((...args: Parameters<typeof real>) => {
    const matcher = real(...args);
    return (path: string) => {
      asked.push(path);
      return matcher(path);
    };
  }, real);
  return { default: counting };
});

/** What Validate did before the index: every glob against every file. */
const plain = (watch: readonly string[], files: readonly string[]) => {
  const watched = picomatch([...watch], { dot: true });
  return files.some((file) => watched(file));
};

// A small deterministic generator (mulberry32), so a failure names a case that can be run again.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'ab', 'a-b', 'a.b', '.hidden', '.github', 'p1', 'p10', 'p1-old', 'x.tf', 'y.md', 'Z'];
const GLOB_SEGMENTS = [
  ...NAMES,
  '*',
  '**',
  '*.tf',
  'p1*',
  '.*',
  '{a,b}',
  '{p1,p10}',
  '[ab]',
  '?',
  '@(a|b)',
  '!(a)',
  '+(a)',
  'a\\*',
  '',
  '.',
];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function path(next: () => number, segments: readonly string[], max: number): string {
  const length = 1 + Math.floor(next() * max);
  return Array.from({ length }, () => pick(next, segments)).join('/');
}

function file(next: () => number): string {
  const roll = next();
  const body = path(next, NAMES, 4);
  // Mostly git's spelling; some paths git never produces, which picomatch still answers for.
  if (roll < 0.05) return `./${body}`;
  if (roll < 0.08) return `/${body}`;
  if (roll < 0.1) return `${body}/`;
  if (roll < 0.12) return body.replace('/', '//');
  if (roll < 0.14) return body.replace('/', '\\');
  return body;
}

function glob(next: () => number): string {
  const roll = next();
  let body = '';
  // pushgate.yml's schema refuses an empty glob (picomatch throws on one).
  while (body === '') body = path(next, GLOB_SEGMENTS, 4);
  if (roll < 0.1) return `!${body}`;
  if (roll < 0.15) return `./${body}`;
  if (roll < 0.2) return `${body}/**`;
  if (roll < 0.23) return `/${body}`;
  return body;
}

describe('indexChangedFiles', () => {
  it('answers as picomatch over every file does, on many generated globs and files', () => {
    let compared = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed);
      const files = Array.from({ length: Math.floor(next() * 40) }, () => file(next));
      const index = indexChangedFiles(files);
      for (let i = 0; i < 25; i++) {
        const watch = Array.from({ length: 1 + Math.floor(next() * 3) }, () => glob(next));
        // Some globs are the files themselves (picomatch's literal shortcut).
        if (files.length > 0 && next() < 0.1) watch.push(pick(next, files));
        const expected = plain(watch, files);
        expect({ seed, watch, files, matched: index.watchesAny(watch) }).toEqual({
          seed,
          watch,
          files,
          matched: expected,
        });
        compared += 1;
      }
    }
    expect(compared).toBe(10_000);
  });

  it.each([
    ['projects/p1/**', ['projects/p1/main.tf'], true],
    ['projects/p1/**', ['projects/p10/main.tf', 'projects/p1-old/main.tf'], false],
    ['projects/p1/**', ['projects/p1'], true],
    ['projects/**', ['projects/.terraform.lock.hcl'], true],
    ['**', ['.github/workflows/ci.yml'], true],
    ['!projects/**', ['projects/p1/main.tf'], false],
    ['!projects/**', ['docs/readme.md'], true],
    ['./projects/**', ['projects/p1/main.tf'], true],
    ['{projects,modules}/p1/**', ['modules/p1/main.tf'], true],
    ['projects/p1/*.tf', ['projects/p1/sub/main.tf'], false],
    ['pushgate.yml', ['pushgate.yml'], true],
  ] as const)('%s over %j: %s', (pattern, files, expected) => {
    expect(indexChangedFiles(files).watchesAny([pattern])).toBe(expected);
    expect(plain([pattern], files)).toBe(expected);
  });

  it('asks picomatch only about the files under a glob’s literal base', () => {
    const files = Array.from({ length: 1000 }, (_, i) => `docs/page${i}.md`).concat(
      'projects/p7/main.tf',
      'projects/p70/main.tf',
    );
    const index = indexChangedFiles(files);
    asked.length = 0;
    expect(index.watchesAny(['projects/p7/**'])).toBe(true);
    expect(index.watchesAny(['projects/p8/**'])).toBe(false);
    expect(asked).toEqual(['projects/p7/main.tf']);
    // A glob without a literal base is asked about every file, as before.
    asked.length = 0;
    expect(index.watchesAny(['**/*.tf'])).toBe(true);
    expect(asked.length).toBeGreaterThan(1000);
  });
});

describe('watchesAny', () => {
  it('keeps one index per files array and sees a changed length', () => {
    const files = ['a/x.tf'];
    expect(watchesAny(['b/**'], files)).toBe(false);
    files.push('b/y.tf');
    expect(watchesAny(['b/**'], files)).toBe(true);
  });
});
