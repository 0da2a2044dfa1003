import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHub, type LocalGitHub } from '../../../local/github/start-github.ts';
import { createRepoFixture, git, type RepoFixture } from './helpers/git-fixture.ts';

const TOKEN = 'ghp_localtoken';
const owner = 'acme';
const repoName = 'infra';
/** Routes as plain strings: Octokit's types would (rightly) refuse the invalid requests sent with them. */
const untypedRoute = (route: string) => route;
/** Octokit logs every failed request; the failures here are the point. */
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('local GitHub REST subset', () => {
  let repo: RepoFixture;
  let github: LocalGitHub;
  let octokit: Octokit;
  const shas = { first: '', second: '', third: '' };

  beforeAll(async () => {
    repo = await createRepoFixture();
    shas.first = await repo.commit(
      {
        'pushgate.yml': 'version: 1\n',
        'infra/network/main.tf': 'resource "a" "b" {}\n',
        'infra/dns/main.tf': 'one\ntwo\n',
        'logo.bin': '\u0000\u0001binary',
      },
      'Initial commit',
    );
    await repo.push('--quiet', 'origin', 'main');
    await git(repo.work, 'checkout', '--quiet', '-b', 'feature/dns');
    await git(repo.work, 'mv', 'infra/dns/main.tf', 'infra/dns/records.tf');
    shas.second = await repo.commit(
      { 'infra/network/main.tf': 'resource "a" "c" {}\nextra\n', 'infra/new.tf': 'x\n' },
      'Change network, rename dns',
    );
    shas.third = await repo.commit({ 'pushgate.yml': null }, 'Drop config');
    await repo.push('--quiet', 'origin', 'feature/dns');

    github = await startGitHub({
      repos: { [`${owner}/${repoName}`]: repo.bare },
      token: TOKEN,
      permissions: { octocat: 'admin', hubot: 'write' },
      logins: { 'mona@example.com': 'monalisa' },
    });
    octokit = new Octokit({ auth: TOKEN, baseUrl: github.url, log: quiet });
  });

  afterAll(async () => {
    await github.stop();
    await repo.cleanup();
  });

  it('refuses requests without the token with GitHub’s 401 body', async () => {
    const anonymous = new Octokit({ baseUrl: github.url, log: quiet });
    await expect(anonymous.rest.repos.get({ owner, repo: repoName })).rejects.toMatchObject({
      name: 'HttpError',
      status: 401,
      response: { data: { message: 'Requires authentication', documentation_url: expect.any(String) } },
    });
    const wrong = new Octokit({ auth: 'wrong', baseUrl: github.url, log: quiet });
    await expect(wrong.rest.repos.get({ owner, repo: repoName })).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'Bad credentials' } },
    });
  });

  it('accepts a Bearer token and answers the repository', async () => {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}', {
      owner,
      repo: repoName,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(data).toMatchObject({
      name: 'infra',
      full_name: 'acme/infra',
      default_branch: 'main',
      owner: { login: 'acme' },
      private: false,
    });
  });

  it('answers 404 for an unknown repository or route', async () => {
    await expect(octokit.rest.repos.get({ owner, repo: 'nope' })).rejects.toMatchObject({
      status: 404,
      response: { data: { message: 'Not Found' } },
    });
    await expect(octokit.request('GET /repos/{owner}/{repo}/hooks', { owner, repo: repoName })).rejects.toMatchObject({
      status: 404,
    });
    await expect(octokit.request('GET /gists')).rejects.toMatchObject({ status: 404 });
    // The bot is an app installation: it has no user.
    await expect(octokit.request('GET /user')).rejects.toMatchObject({ status: 403 });
  });

  it('returns file contents as base64 JSON, at a ref, and raw', async () => {
    const { data } = await octokit.rest.repos.getContent({ owner, repo: repoName, path: 'pushgate.yml' });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(data.encoding).toBe('base64');
    expect(Buffer.from(data.content, 'base64').toString()).toBe('version: 1\n');
    expect(data.sha).toBe((await git(repo.bare, 'rev-parse', `${shas.first}:pushgate.yml`)).stdout.trim());
    expect(data).toMatchObject({ name: 'pushgate.yml', path: 'pushgate.yml', size: 11 });

    const atBranch = await octokit.rest.repos.getContent({
      owner,
      repo: repoName,
      path: 'infra/network/main.tf',
      ref: 'feature/dns',
    });
    if (Array.isArray(atBranch.data) || atBranch.data.type !== 'file') throw new Error('expected a file');
    expect(Buffer.from(atBranch.data.content, 'base64').toString()).toBe('resource "a" "c" {}\nextra\n');

    const raw = await octokit.rest.repos.getContent({
      owner,
      repo: repoName,
      path: 'infra/network/main.tf',
      ref: shas.first,
      mediaType: { format: 'raw' },
    });
    expect(raw.data as unknown).toBe('resource "a" "b" {}\n');
  });

  it('lists a directory and answers 404 for a missing path or ref', async () => {
    const { data } = await octokit.rest.repos.getContent({ owner, repo: repoName, path: 'infra' });
    expect(Array.isArray(data) && data.map((e) => [e.name, e.type])).toEqual([
      ['dns', 'dir'],
      ['network', 'dir'],
    ]);
    await expect(octokit.rest.repos.getContent({ owner, repo: repoName, path: 'missing.yml' })).rejects.toMatchObject({
      status: 404,
      response: { data: { message: 'Not Found' } },
    });
    await expect(
      octokit.rest.repos.getContent({ owner, repo: repoName, path: 'pushgate.yml', ref: 'no-such-branch' }),
    ).rejects.toMatchObject({ status: 404 });
    // The file is gone on the branch.
    await expect(
      octokit.rest.repos.getContent({ owner, repo: repoName, path: 'pushgate.yml', ref: 'feature/dns' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('compares two refs like GitHub (three-dot, renames, line counts)', async () => {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
      owner,
      repo: repoName,
      basehead: 'main...feature/dns',
    });
    expect(data).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2 });
    expect(data.merge_base_commit.sha).toBe(shas.first);
    expect(data.commits.map((c) => c.sha)).toEqual([shas.second, shas.third]);
    expect(data.commits[0]!.commit.message).toBe('Change network, rename dns');
    expect(data.commits[0]!.author?.login).toBe('monalisa');
    const files = Object.fromEntries((data.files ?? []).map((f) => [f.filename, f]));
    expect(files['infra/network/main.tf']).toMatchObject({
      status: 'modified',
      additions: 2,
      deletions: 1,
      changes: 3,
    });
    expect(files['infra/dns/records.tf']).toMatchObject({
      status: 'renamed',
      previous_filename: 'infra/dns/main.tf',
      additions: 0,
      deletions: 0,
    });
    expect(files['infra/new.tf']).toMatchObject({ status: 'added', additions: 1, deletions: 0 });
    expect(files['pushgate.yml']).toMatchObject({ status: 'removed', deletions: 1 });

    const behind = await octokit.rest.repos.compareCommitsWithBasehead({
      owner,
      repo: repoName,
      basehead: `feature/dns...${shas.first}`,
    });
    expect(behind.data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2, files: [] });
    const identical = await octokit.rest.repos.compareCommits({
      owner,
      repo: repoName,
      base: 'main',
      head: shas.first,
    });
    expect(identical.data.status).toBe('identical');

    await expect(
      octokit.rest.repos.compareCommitsWithBasehead({ owner, repo: repoName, basehead: 'gone...main' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('resolves a ref to a commit, with files, or to just its sha', async () => {
    const { data } = await octokit.rest.repos.getCommit({ owner, repo: repoName, ref: 'feature/dns' });
    expect(data.sha).toBe(shas.third);
    expect(data.parents.map((p) => p.sha)).toEqual([shas.second]);
    expect(data.files?.map((f) => [f.filename, f.status])).toEqual([['pushgate.yml', 'removed']]);
    expect(data.stats).toEqual({ total: 1, additions: 0, deletions: 1 });

    const root = await octokit.rest.repos.getCommit({ owner, repo: repoName, ref: shas.first });
    expect(root.data.files?.length).toBe(4);

    const sha = await octokit.rest.repos.getCommit({
      owner,
      repo: repoName,
      ref: 'main',
      mediaType: { format: 'sha' },
    });
    expect(sha.data as unknown).toBe(shas.first);

    await expect(octokit.rest.repos.getCommit({ owner, repo: repoName, ref: 'nope' })).rejects.toMatchObject({
      status: 422,
    });
  });

  it('keeps commit statuses', async () => {
    const { data, status } = await octokit.rest.repos.createCommitStatus({
      owner,
      repo: repoName,
      sha: shas.third,
      state: 'pending',
      context: 'pushgate/plan',
      description: 'Planning network/staging',
      target_url: 'https://console.example/run/1',
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({ state: 'pending', context: 'pushgate/plan', creator: { login: 'pushgate[bot]' } });
    expect(github.posted.statuses.at(-1)).toMatchObject({
      repo: 'acme/infra',
      sha: shas.third,
      state: 'pending',
      context: 'pushgate/plan',
    });

    const listed = await octokit.rest.repos.listCommitStatusesForRef({ owner, repo: repoName, ref: 'feature/dns' });
    expect(listed.data.map((s) => s.id)).toContain(data.id);

    await expect(
      octokit.request(untypedRoute('POST /repos/{owner}/{repo}/statuses/{sha}'), {
        owner,
        repo: repoName,
        sha: shas.third,
        state: 'great',
      }),
    ).rejects.toMatchObject({ status: 422, response: { data: { message: 'Validation Failed' } } });
    await expect(
      octokit.rest.repos.createCommitStatus({
        owner,
        repo: repoName,
        sha: '0123456789012345678901234567890123456789',
        state: 'success',
      }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('creates and updates check runs', async () => {
    const created = await octokit.rest.checks.create({
      owner,
      repo: repoName,
      name: 'pushgate plan',
      head_sha: shas.third,
      status: 'in_progress',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      name: 'pushgate plan',
      head_sha: shas.third,
      status: 'in_progress',
      conclusion: null,
    });

    const updated = await octokit.rest.checks.update({
      owner,
      repo: repoName,
      check_run_id: created.data.id,
      conclusion: 'success',
      output: { title: '+1 ~0 -0', summary: 'network/staging will add 1 resource' },
    });
    expect(updated.data).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: '+1 ~0 -0' } });
    expect(updated.data.completed_at).not.toBeNull();
    expect(github.posted.checkRuns.find((r) => r.id === created.data.id)).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      updates: 1,
      output: { summary: 'network/staging will add 1 resource' },
    });

    await expect(
      octokit.rest.checks.update({ owner, repo: repoName, check_run_id: 1, status: 'completed' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      octokit.request(untypedRoute('POST /repos/{owner}/{repo}/check-runs'), { owner, repo: repoName, name: 'x' }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('creates, lists (paginated) and edits issue comments', async () => {
    const first = await octokit.rest.issues.createComment({
      owner,
      repo: repoName,
      issue_number: 7,
      body: '<!-- pushgate -->\nPlanning…',
    });
    expect(first.status).toBe(201);
    expect(first.data).toMatchObject({
      body: '<!-- pushgate -->\nPlanning…',
      user: { login: 'pushgate[bot]', type: 'Bot' },
    });
    for (let i = 0; i < 3; i += 1)
      await octokit.rest.issues.createComment({ owner, repo: repoName, issue_number: 7, body: `other ${i}` });
    await octokit.rest.issues.createComment({ owner, repo: repoName, issue_number: 8, body: 'elsewhere' });

    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo: repoName,
      issue_number: 7,
      per_page: 2,
    });
    expect(all.map((c) => c.body)).toEqual(['<!-- pushgate -->\nPlanning…', 'other 0', 'other 1', 'other 2']);

    const edited = await octokit.rest.issues.updateComment({
      owner,
      repo: repoName,
      comment_id: first.data.id,
      body: '<!-- pushgate -->\nPlanned: +1',
    });
    expect(edited.data.body).toBe('<!-- pushgate -->\nPlanned: +1');
    expect(github.posted.comments.find((c) => c.id === first.data.id)).toMatchObject({
      issueNumber: 7,
      body: '<!-- pushgate -->\nPlanned: +1',
    });
    await expect(
      octokit.rest.issues.updateComment({ owner, repo: repoName, comment_id: 999_999, body: 'x' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('answers registered pull requests with live head and base shas', async () => {
    github.addPullRequest('acme/infra', {
      number: 7,
      head: 'feature/dns',
      base: 'main',
      title: 'DNS records',
      user: 'hubot',
    });
    const { data } = await octokit.rest.pulls.get({ owner, repo: repoName, pull_number: 7 });
    expect(data).toMatchObject({
      number: 7,
      state: 'open',
      title: 'DNS records',
      user: { login: 'hubot' },
      head: { ref: 'feature/dns', sha: shas.third, repo: { full_name: 'acme/infra' } },
      base: { ref: 'main', sha: shas.first },
    });
    await expect(octokit.rest.pulls.get({ owner, repo: repoName, pull_number: 8 })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('answers collaborator permissions from the map, read by default', async () => {
    const admin = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo: repoName,
      username: 'octocat',
    });
    expect(admin.data).toMatchObject({ permission: 'admin', user: { login: 'octocat' } });
    const writer = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo: repoName,
      username: 'hubot',
    });
    expect(writer.data.permission).toBe('write');
    const stranger = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo: repoName,
      username: 'stranger',
    });
    expect(stranger.data.permission).toBe('read');
    github.setPermission('stranger', 'maintain');
    const promoted = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo: repoName,
      username: 'stranger',
    });
    expect(promoted.data).toMatchObject({ permission: 'write', role_name: 'maintain' });
  });

  it('answers 503 while down and for the next n requests', async () => {
    github.setDown(true);
    await expect(octokit.rest.repos.get({ owner, repo: repoName })).rejects.toMatchObject({ status: 503 });
    github.setDown(false);
    github.failNext(1);
    await expect(octokit.rest.repos.get({ owner, repo: repoName })).rejects.toMatchObject({ status: 503 });
    await expect(octokit.rest.repos.get({ owner, repo: repoName })).resolves.toMatchObject({ status: 200 });
  });
});
