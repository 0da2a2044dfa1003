import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPushPayload, ZERO_SHA, type PushPayload } from '../../../local/git/push-payload.ts';
import { createRepoFixture, git, type RepoFixture } from './helpers/git-fixture.ts';

/** GitHub's own push delivery for a branch with commits (the shape pushgate's intake is written against). */
const githubPush = (examples as { name: string; examples: Record<string, unknown>[] }[])
  .find((e) => e.name === 'push')!
  .examples.find((e) => String(e.ref).startsWith('refs/heads/') && (e.commits as unknown[]).length > 0)!;

/**
 * Every field we produce exists in GitHub's payload with the same JSON type (null matches anything:
 * GitHub's example and ours differ in which nullable fields are set).
 */
function expectSameShape(ours: unknown, theirs: unknown, path = '$'): void {
  if (ours === null || theirs === null) return;
  if (Array.isArray(ours)) {
    expect(Array.isArray(theirs), `${path} is an array in GitHub's payload`).toBe(true);
    if (ours.length > 0 && (theirs as unknown[]).length > 0)
      expectSameShape(ours[0], (theirs as unknown[])[0], `${path}[0]`);
    return;
  }
  if (typeof ours === 'object') {
    expect(typeof theirs, `${path} is an object in GitHub's payload`).toBe('object');
    for (const [key, value] of Object.entries(ours as Record<string, unknown>)) {
      expect(theirs as object, `${path}.${key} exists in GitHub's payload`).toHaveProperty([key]);
      expectSameShape(value, (theirs as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return;
  }
  expect(typeof ours, `${path} has GitHub's type`).toBe(typeof theirs);
}

describe('buildPushPayload', () => {
  let repo: RepoFixture;
  const build = (ref: string, before: string, after: string) =>
    buildPushPayload({
      bareRepo: repo.bare,
      repoFullName: 'acme/infra',
      ref,
      before,
      after,
      logins: { 'mona@example.com': 'monalisa' },
    });

  beforeEach(async () => {
    repo = await createRepoFixture();
  });
  afterEach(() => repo.cleanup());

  it('builds a first push (before all zeros) shaped like GitHub’s', async () => {
    const first = await repo.commit({ 'README.md': '# infra\n', 'network/main.tf': 'a\n' }, 'Initial commit');
    const second = await repo.commit(
      { 'network/main.tf': 'b\n', 'README.md': null, 'dns/main.tf': 'c\n' },
      'Move things\n\nWith a body.',
    );
    await repo.push('--quiet', 'origin', 'main');

    const payload = await build('refs/heads/main', ZERO_SHA, second);
    expectSameShape(payload, githubPush);
    // And the other way: everything GitHub sends at the top level (bar app-only fields) is there.
    const expectedKeys = Object.keys(githubPush).filter(
      (k) => !['installation', 'organization', 'enterprise'].includes(k),
    );
    expect(Object.keys(payload).sort()).toEqual(expectedKeys.sort());
    expect(Object.keys(payload.commits[0]!).sort()).toEqual(Object.keys((githubPush.commits as object[])[0]!).sort());
    for (const key of ['id', 'name', 'full_name', 'private', 'owner', 'html_url', 'clone_url', 'default_branch']) {
      expect(payload.repository).toHaveProperty(key);
    }

    expect(payload).toMatchObject({
      ref: 'refs/heads/main',
      before: ZERO_SHA,
      after: second,
      created: true,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `https://github.com/acme/infra/compare/${first.slice(0, 12)}^...${second.slice(0, 12)}`,
      pusher: { name: 'monalisa', email: 'mona@example.com' },
      sender: { login: 'monalisa', type: 'User' },
      repository: {
        name: 'infra',
        full_name: 'acme/infra',
        owner: { login: 'acme' },
        default_branch: 'main',
        private: false,
      },
    });
    expect(payload.commits.map((c) => c.id)).toEqual([first, second]);
    expect(payload.commits[0]).toMatchObject({
      added: ['README.md', 'network/main.tf'],
      removed: [],
      modified: [],
      message: 'Initial commit',
    });
    expect(payload.commits[1]).toMatchObject({
      added: ['dns/main.tf'],
      removed: ['README.md'],
      modified: ['network/main.tf'],
      message: 'Move things\n\nWith a body.',
      url: `https://github.com/acme/infra/commit/${second}`,
      author: { name: 'Mona Lisa', email: 'mona@example.com', username: 'monalisa' },
    });
    expect(payload.commits[1]!.tree_id).toMatch(/^[0-9a-f]{40}$/);
    expect(payload.commits[1]!.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/);
    expect(payload.head_commit).toEqual(payload.commits[1]);
  });

  it('lists only the pushed commits of a later push', async () => {
    const first = await repo.commit({ 'a.tf': '1' }, 'one');
    await repo.push('--quiet', 'origin', 'main');
    const second = await repo.commit({ 'a.tf': '2' }, 'two');
    const third = await repo.commit({ 'b.tf': '3' }, 'three');
    await repo.push('--quiet', 'origin', 'main');

    const payload = await build('refs/heads/main', first, third);
    expect(payload.created).toBe(false);
    expect(payload.forced).toBe(false);
    expect(payload.commits.map((c) => c.id)).toEqual([second, third]);
    expect(payload.compare).toBe(`https://github.com/acme/infra/compare/${first.slice(0, 12)}...${third.slice(0, 12)}`);
  });

  it('marks a force push', async () => {
    await repo.commit({ 'a.tf': '1' }, 'one');
    const before = await repo.commit({ 'a.tf': '2' }, 'two');
    await repo.push('--quiet', 'origin', 'main');
    await git(repo.work, 'commit', '--quiet', '--amend', '-m', 'two, amended');
    const after = await repo.sha();
    await repo.push('--quiet', '--force', 'origin', 'main');

    const payload = await build('refs/heads/main', before, after);
    expect(payload.forced).toBe(true);
    expect(payload.commits.map((c) => c.message)).toEqual(['two, amended']);
  });

  it('gives a new branch at an existing commit no commits but a head commit', async () => {
    const sha = await repo.commit({ 'a.tf': '1' }, 'one');
    await repo.push('--quiet', 'origin', 'main', 'main:feature');
    const payload = await build('refs/heads/feature', ZERO_SHA, sha);
    expect(payload.commits).toEqual([]);
    expect(payload.head_commit?.id).toBe(sha);
    expect(payload.compare).toBe(`https://github.com/acme/infra/commit/${sha}`);
  });

  it('builds a deletion (after all zeros)', async () => {
    const sha = await repo.commit({ 'a.tf': '1' }, 'one');
    await repo.push('--quiet', 'origin', 'main', 'main:feature');
    await repo.push('--quiet', 'origin', '--delete', 'feature');

    const payload: PushPayload = await build('refs/heads/feature', sha, ZERO_SHA);
    expectSameShape(payload, githubPush);
    expect(payload).toMatchObject({
      deleted: true,
      created: false,
      forced: false,
      commits: [],
      head_commit: null,
      after: ZERO_SHA,
    });
    expect(payload.compare).toBe(`https://github.com/acme/infra/compare/${sha.slice(0, 12)}...000000000000`);
  });
});
