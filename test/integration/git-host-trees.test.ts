import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { filesBetween } from '../../functions/lib/git/files-between.ts';
import { createGitHubHost, type GitHubHost } from '../../functions/lib/git/github-host.ts';
import { startGitHub, type LocalGitHub } from '../../local/github/start-github.ts';
import { createRepoFixture, git, type RepoFixture } from './local/helpers/git-fixture.ts';

/**
 * The GitHub host (Octokit, real HTTP) against the loopback GitHub serving a real git repository:
 * compare cuts its file list at 300 as GitHub does and the Git Trees API comes from `git ls-tree`,
 * so a change larger than compare lists is found by the trees, checked against `git diff` itself.
 */
const TOKEN = 'ghp_trees';
const REPO = 'acme/infra';
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** `projects` directories of 10 files each; `version` changes the content of the projects named. */
function files(projects: number[], version: string): Record<string, string> {
  return Object.fromEntries(
    projects.flatMap((p) =>
      Array.from({ length: 10 }, (_, f) => [`projects/p${p}/f${f}.tf`, `${p}/${f} ${version}\n`]),
    ),
  );
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('changed files beyond compare’s 300 through the loopback GitHub', () => {
  let repo: RepoFixture;
  let github: LocalGitHub;
  let cut: LocalGitHub;
  const sha = { base: '', big: '', small: '', side: '', orphan: '' };
  let requests: string[];

  const hostOn = (server: LocalGitHub): GitHubHost => {
    const octokit = new Octokit({ auth: TOKEN, baseUrl: server.url, log: quiet });
    octokit.hook.before('request', (options) => {
      const { method, url } = octokit.request.endpoint.parse(options);
      requests.push(`${method} ${new URL(url).pathname.replace('/repos/acme/infra', '')}`);
    });
    return createGitHubHost({ octokit, login: 'pushgate[bot]' });
  };
  /** What git says, renames as both paths. */
  const gitDiff = async (from: string, to: string) =>
    (await git(repo.bare, 'diff', '--name-only', '--no-renames', from, to)).stdout.split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    repo = await createRepoFixture();
    sha.base = await repo.commit({ 'pushgate.yml': 'version: 1\n', ...files(range(0, 40), 'v1') }, 'Forty projects');
    // 320 files in 32 projects, and a rename in p35: more than compare lists.
    await git(repo.work, 'mv', 'projects/p35/f0.tf', 'projects/p36/moved.tf');
    sha.big = await repo.commit(files(range(0, 32), 'v2'), 'Change 32 projects');
    sha.small = await repo.commit(files([39], 'v3'), 'Change p39');
    await repo.push('--quiet', 'origin', 'main');
    await git(repo.work, 'checkout', '--quiet', '-b', 'side', sha.base);
    sha.side = await repo.commit(files([38], 'side'), 'Change p38 on a side branch');
    await repo.push('--quiet', 'origin', 'side');
    await git(repo.work, 'checkout', '--quiet', '--orphan', 'orphan');
    sha.orphan = await repo.commit({ 'pushgate.yml': 'version: 1\n', ...files(range(0, 40), 'v1') }, 'Unrelated');
    await repo.push('--quiet', 'origin', 'orphan');

    github = await startGitHub({ repos: { [REPO]: repo.bare }, token: TOKEN });
    // The same repository behind a GitHub that cuts recursive listings at 50 entries.
    cut = await startGitHub({ repos: { [REPO]: repo.bare }, token: TOKEN, treeEntryLimit: 50 });
  });

  afterAll(async () => {
    await github?.stop();
    await cut?.stop();
    await repo?.cleanup();
  });

  beforeEach(() => {
    requests = [];
  });

  it('the loopback compare cuts its list at 300 files, as GitHub does, so the host calls it unknown', async () => {
    const octokit = new Octokit({ auth: TOKEN, baseUrl: github.url, log: quiet });
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
      owner: 'acme',
      repo: 'infra',
      basehead: `${sha.base}...${sha.big}`,
    });
    expect(await gitDiff(sha.base, sha.big)).toHaveLength(322);
    expect(data.files).toHaveLength(300);
    expect(await hostOn(github).compare(REPO, sha.base, sha.big)).toEqual({
      status: 'ahead',
      files: undefined,
      mergeBase: sha.base,
    });
  });

  it('a push of 322 changed files: exactly git’s list, for one compare and two tree listings', async () => {
    const host = hostOn(github);
    const result = await filesBetween(host, REPO, sha.base, sha.big);
    expect(result.backwards).toBe(false);
    expect(result.files?.sort()).toEqual(await gitDiff(sha.base, sha.big));
    expect(result.files).toContain('projects/p35/f0.tf');
    expect(result.files).toContain('projects/p36/moved.tf');
    expect(result.files?.some((file) => file.startsWith('projects/p37/'))).toBe(false);
    expect(requests).toEqual([
      `GET /compare/${sha.base}...${sha.big}`,
      `GET /git/trees/${sha.base}`,
      `GET /git/trees/${sha.big}`,
    ]);
  });

  it('going back past 300 files is backwards, with the same files', async () => {
    const result = await filesBetween(hostOn(github), REPO, sha.small, sha.base);
    expect(result).toEqual({ files: await gitDiff(sha.small, sha.base), backwards: true });
  });

  it('diverged branches: the exact two-dot diff, not a superset', async () => {
    const result = await filesBetween(hostOn(github), REPO, sha.small, sha.side);
    expect(result.backwards).toBe(false);
    expect(result.files?.sort()).toEqual(await gitDiff(sha.small, sha.side));
  });

  it('unrelated histories, which compare refuses, are compared by their trees', async () => {
    const result = await filesBetween(hostOn(github), REPO, sha.big, sha.orphan);
    expect(result.files?.sort()).toEqual(await gitDiff(sha.big, sha.orphan));
    expect(requests[0]).toBe(`GET /compare/${sha.big}...${sha.orphan}`);
  });

  it('a pull request’s three-dot list past 300 files comes from the merge base’s tree', async () => {
    const changed = await hostOn(github).changedFiles(REPO, sha.side, sha.big);
    expect(changed?.sort()).toEqual(await gitDiff(sha.base, sha.big));
  });

  it('listings GitHub cuts (100,000 entries, here 50) are walked level by level, to the same answer', async () => {
    const host = hostOn(cut);
    const result = await filesBetween(host, REPO, sha.base, sha.big);
    expect(result.files?.sort()).toEqual(await gitDiff(sha.base, sha.big));
    const trees = requests.filter((request) => request.includes('/git/trees/'));
    // Both roots are too large: listed one level, then only the project directories that differ.
    expect(trees.length).toBeGreaterThan(2);
    expect(trees.length).toBeLessThan(2 + 2 * 2 + 2 * 40);
  });

  it('a commit GitHub does not have, or none at all: unknown, and nothing asked for the zero sha', async () => {
    const host = hostOn(github);
    expect(await host.diffTrees!(REPO, sha.base, 'f'.repeat(40))).toBeUndefined();
    requests = [];
    expect(await host.diffTrees!(REPO, '0'.repeat(40), sha.base)).toBeUndefined();
    expect(requests).toEqual([]);
  });

  it('serves the Git Trees API from the repository: recursive or one level, cut with `truncated`', async () => {
    const octokit = new Octokit({ auth: TOKEN, baseUrl: cut.url, log: quiet });
    const tree = (tree_sha: string, recursive?: string) =>
      octokit.rest.git.getTree({ owner: 'acme', repo: 'infra', tree_sha, ...(recursive ? { recursive } : {}) });
    const root = (await git(repo.bare, 'rev-parse', `${sha.base}^{tree}`)).stdout.trim();
    const top = await tree(sha.base);
    expect(top.data).toMatchObject({ sha: root, truncated: false });
    expect(top.data.tree.map((entry) => `${entry.type} ${entry.path}`)).toEqual(['tree projects', 'blob pushgate.yml']);
    expect(top.data.tree[1]).toMatchObject({ mode: '100644', size: 11, url: expect.stringContaining('/git/blobs/') });
    expect(top.data.tree[0]).toMatchObject({ mode: '040000', url: expect.stringContaining('/git/trees/') });
    expect(top.data.tree[0]).not.toHaveProperty('size');
    const all = await tree(root, 'true');
    expect(all.data.truncated).toBe(true);
    expect(all.data.tree).toHaveLength(50);
    expect(all.data.tree.slice(0, 3).map((entry) => entry.path)).toEqual([
      'projects',
      'projects/p0',
      'projects/p0/f0.tf',
    ]);
    expect((await tree(root, '1')).data.tree.map((entry) => entry.path)).not.toContain('pushgate.yml');
    const whole = await octokit.rest.git.getTree({ owner: 'acme', repo: 'infra', tree_sha: root, recursive: '1' });
    expect(whole.data.truncated).toBe(true);
    const projects = (await tree(top.data.tree[0]!.sha)).data.tree;
    const project = (await tree(projects.find((entry) => entry.path === 'p1')!.sha, '1')).data;
    expect(project).toMatchObject({ truncated: false });
    expect(project.tree).toHaveLength(10);
    await expect(tree('f'.repeat(40))).rejects.toMatchObject({ status: 404 });
  });
});
