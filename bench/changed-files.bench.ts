import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import picomatch from 'picomatch';
import { filesBetween } from '../functions/lib/git/files-between.ts';
import { createGitHubHost } from '../functions/lib/git/github-host.ts';
import { createLocalRepository, git } from '../local/git/local-repository.ts';
import { startGitHub, type LocalGitHub } from '../local/github/start-github.ts';
import { printTable } from './lib/print-table.ts';
import { summarizeTimes } from './lib/summarize-times.ts';

/**
 * Validate's change detection (issue 12, "accurate changes at any size") for a deploy: which of
 * 1,000 projects differ between the deployed commit and the pushed one. The GitHub host (Octokit,
 * real HTTP) asks the loopback GitHub, which serves a real repository and cuts compare at 300 files
 * as GitHub does; each project watches `projects/pN/**`, matched as Validate matches (picomatch).
 * - baseline: compare alone, the behaviour before this change (a cut list: every project changed);
 * - trees: compare, then the Git Trees API when the list is cut;
 * - trees, cut: the same with GitHub's 100,000-entry limit lowered (15,000: the root is cut;
 *   5,000: its top directories too), as a repository past 100,000 entries sees it: walked one level
 *   at a time, within the host's budget of 200 listings (past it: every project, as before).
 * A first push has no deployed commit: Validate plans every project without asking GitHub (0 calls).
 */
const PROJECTS = 1000;
const FILES_PER_PROJECT = 10;
const DOCS = 10_000;
const RUNS = 5;
const TOKEN = 'ghp_bench';
const REPO = 'acme/monorepo';
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Scenario {
  label: string;
  to: string;
  server: LocalGitHub;
  /** false: the host as it was before tree comparison (a cut compare list means every project). */
  useTrees: boolean;
  /** The tree walk's listing budget; default the host's (200). */
  maxRequests?: number;
}

interface Sample {
  ms: number;
  matchMs: number;
  calls: number;
  bytes: number;
  planned: number;
  files: number | undefined;
}

export default async function changedFiles(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'pushgate-bench-changed-'));
  const repo = await createLocalRepository(root, { name: 'monorepo' });
  const tree: Record<string, string> = { 'pushgate.yml': 'version: 1\n' };
  for (let p = 0; p < PROJECTS; p++) {
    for (let f = 0; f < FILES_PER_PROJECT; f++) tree[`projects/p${p}/f${f}.tf`] = `# p${p} f${f}\n`;
  }
  for (let d = 0; d < DOCS; d++) tree[`docs/section${d % 100}/page${d}.md`] = `page ${d}\n`;
  const deployed = await repo.commit(tree, '1,000 projects and 10,000 pages');

  // 10,000 files: 9,500 pages and the 500 files of 50 projects.
  const big: Record<string, string> = {};
  for (let d = 0; d < 9_500; d++) big[`docs/section${d % 100}/page${d}.md`] = `page ${d}, reworded\n`;
  for (let p = 0; p < 50; p++) {
    for (let f = 0; f < FILES_PER_PROJECT; f++) big[`projects/p${p * 20}/f${f}.tf`] = `# p${p * 20} f${f} v2\n`;
  }
  const bigPush = await repo.commit(big, 'Reword the docs, touch 50 projects');
  // A small push from the deployed commit: 200 files of 20 projects (under compare's 300).
  await git(repo.work, 'checkout', '--quiet', '-b', 'small', deployed);
  const small: Record<string, string> = {};
  for (let p = 0; p < 20; p++) {
    for (let f = 0; f < FILES_PER_PROJECT; f++) small[`projects/p${p * 7}/f${f}.tf`] = `# p${p * 7} f${f} v3\n`;
  }
  const smallPush = await repo.commit(small, 'Touch 20 projects');
  await repo.push('--quiet', 'origin', 'main', 'small');

  const github = await startGitHub({ repos: { [REPO]: repo.bare }, token: TOKEN });
  // GitHub cuts a recursive listing past 100,000 entries: these cut this 21,000-entry repository's
  // root (but not its top directories), and then its top directories too.
  const cut15k = await startGitHub({ repos: { [REPO]: repo.bare }, token: TOKEN, treeEntryLimit: 15_000 });
  const cut5k = await startGitHub({ repos: { [REPO]: repo.bare }, token: TOKEN, treeEntryLimit: 5_000 });
  const watchers = Array.from({ length: PROJECTS }, (_, p) => picomatch(`projects/p${p}/**`, { dot: true }));

  const measure = async (scenario: Scenario): Promise<Sample> => {
    const { server, to, useTrees, maxRequests } = scenario;
    let calls = 0;
    let bytes = 0;
    const octokit = new Octokit({ auth: TOKEN, baseUrl: server.url, log: quiet });
    octokit.hook.before('request', () => {
      calls += 1;
    });
    octokit.hook.after('request', (response) => {
      bytes += Number(response.headers['content-length'] ?? 0);
    });
    const host = createGitHubHost({
      octokit,
      login: 'pushgate[bot]',
      ...(maxRequests === undefined ? {} : { treeDiff: { maxRequests } }),
    });
    // The baseline is the host as it was: no tree comparison.
    const gitHost = useTrees ? host : { ...host, diffTrees: undefined };
    const started = performance.now();
    const { files } = await filesBetween(gitHost, REPO, deployed, to);
    const found = performance.now();
    // As Validate's deployedChanges does: each project's watch globs against every changed file.
    const planned = watchers.filter((watched) => files === undefined || files.some((file) => watched(file))).length;
    const matched = performance.now();
    // Matching blocks the event loop for seconds: let the HTTP client drop the sockets the server has
    // closed meanwhile (keep-alive), or the next run's first request meets a reset connection.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return { ms: found - started, matchMs: matched - found, calls, bytes, planned, files: files?.length };
  };

  const rows: string[][] = [];
  const big10k = '10,000 files / 50 projects';
  const scenarios: Scenario[] = [
    { label: '200 files / 20 projects, compare', to: smallPush, server: github, useTrees: true },
    { label: `${big10k}, baseline (compare only)`, to: bigPush, server: github, useTrees: false },
    { label: `${big10k}, trees`, to: bigPush, server: github, useTrees: true },
    { label: `${big10k}, trees, root cut`, to: bigPush, server: cut15k, useTrees: true },
    { label: `${big10k}, trees, top dirs cut`, to: bigPush, server: cut5k, useTrees: true },
    { label: `${big10k}, top dirs cut, 1,000 listings`, to: bigPush, server: cut5k, useTrees: true, maxRequests: 1000 },
  ];
  try {
    for (const scenario of scenarios) {
      const samples: Sample[] = [];
      for (let i = 0; i < RUNS; i++) samples.push(await measure(scenario));
      const last = samples.at(-1)!;
      const times = summarizeTimes(samples.map((sample) => sample.ms));
      const matching = summarizeTimes(samples.map((sample) => sample.matchMs));
      rows.push([
        scenario.label,
        last.files === undefined ? 'unknown' : String(last.files),
        `${last.planned} / ${PROJECTS}`,
        String(last.calls),
        `${(last.bytes / 1024).toFixed(0)} KiB`,
        `${times.median.toFixed(0)} ms`,
        `${times.max.toFixed(0)} ms`,
        `${matching.median.toFixed(0)} ms`,
      ]);
    }
    rows.push(['first push (nothing deployed)', 'not asked', `${PROJECTS} / ${PROJECTS}`, '0', '0 KiB', '-', '-', '-']);
    console.log(
      `Validate's change detection, ${PROJECTS} projects (${PROJECTS * FILES_PER_PROJECT + DOCS + 1} files), loopback GitHub, ${RUNS} runs each`,
    );
    printTable(
      [
        'change',
        'files found',
        'projects planned',
        'API calls',
        'bytes',
        'detect median',
        'detect max',
        'match median',
      ],
      rows,
    );
  } finally {
    await github.stop();
    await cut15k.stop();
    await cut5k.stop();
    await repo.cleanup();
  }
}
