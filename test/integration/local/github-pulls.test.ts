import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { verify } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHostError } from '../../../functions/lib/git/git-host-error.ts';
import { createGitHubHost } from '../../../functions/lib/git/github-host.ts';
import { installPostReceiveHook } from '../../../local/git/install-hook.ts';
import {
  defaultLocalUsers,
  signAppJwt,
  startGitHub,
  type LocalGitHub,
  type LocalUser,
} from '../../../local/github/start-github.ts';
import { createRepoFixture, git, type RepoFixture } from './helpers/git-fixture.ts';

const BOT_TOKEN = 'ghs_localbottoken';
const SECRET = 'webhook-secret';
const APP_ID = 4242;
const owner = 'acme';
const repoName = 'infra';
const fullName = `${owner}/${repoName}`;
/** Octokit logs every failed request; the failures here are the point. */
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Received {
  event: string;
  delivery: string;
  signatureValid: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- webhook payloads, checked field by field
  payload: Record<string, any>;
}

/** A webhook receiver on loopback that checks each delivery's signature, as pushgate does. */
async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      void verify(SECRET, text, String(req.headers['x-hub-signature-256'])).then((signatureValid) => {
        received.push({
          event: String(req.headers['x-github-event']),
          delivery: String(req.headers['x-github-delivery']),
          signatureValid: signatureValid && req.headers['content-type'] === 'application/json',
          payload: JSON.parse(text) as Record<string, unknown>,
        });
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ runId: `run-${received.length}` }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, received, server };
}

describe('local GitHub: users, pull requests, webhooks, merges, app', () => {
  let repo: RepoFixture;
  let github: LocalGitHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let users: { alice: LocalUser; bob: LocalUser; carol: LocalUser };
  const as = (user: LocalUser | string) =>
    new Octokit({ auth: typeof user === 'string' ? user : user.token, baseUrl: github.url, log: quiet });
  const since = (mark: number) => receiver.received.slice(mark);
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  beforeAll(async () => {
    receiver = await startReceiver();
    repo = await createRepoFixture();
    await repo.commit({ 'a.txt': 'a\n', 'shared.txt': 'one\ntwo\nthree\n' }, 'Initial commit');
    await repo.push('--quiet', 'origin', 'main');
    const byLogin = new Map(defaultLocalUsers().map((user) => [user.login, user]));
    const [alice, bob, carol] = ['alice-admin', 'bob-writer', 'carol-reader'].map((login) => byLogin.get(login)!) as [
      LocalUser,
      LocalUser,
      LocalUser,
    ];
    users = { alice, bob, carol };
    github = await startGitHub({
      repos: { [fullName]: repo.bare },
      token: BOT_TOKEN,
      users: [alice, bob, carol],
      webhook: { url: receiver.url, secret: SECRET },
      teams: { 'acme/deployers': ['bob-writer'] },
      logins: { 'mona@example.com': 'bob-writer' },
      app: { id: APP_ID, publicKeyPem },
    });
    await installPostReceiveHook(repo.bare, {
      webhookUrl: receiver.url,
      secret: SECRET,
      repoFullName: fullName,
      githubUrl: github.url,
      githubToken: BOT_TOKEN,
    });
  });

  afterAll(async () => {
    await github.stop();
    await new Promise((resolve) => receiver.server.close(resolve));
    await repo.cleanup();
  });

  beforeEach(() => {
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
  });

  it('gives each user their own identity and role', async () => {
    expect(defaultLocalUsers().map((u) => [u.login, u.role])).toEqual([
      ['alice-admin', 'admin'],
      ['bob-writer', 'write'],
      ['dave-writer', 'write'],
      ['carol-reader', 'read'],
    ]);
    expect(users.alice.token).not.toBe(defaultLocalUsers()[0]!.token);
    const { data } = await as(users.carol).rest.users.getAuthenticated();
    expect(data).toMatchObject({ login: 'carol-reader', type: 'User' });
    const permission = async (username: string) =>
      (await as(BOT_TOKEN).rest.repos.getCollaboratorPermissionLevel({ owner, repo: repoName, username })).data;
    expect(await permission('alice-admin')).toMatchObject({ permission: 'admin', role_name: 'admin' });
    expect(await permission('bob-writer')).toMatchObject({
      permission: 'write',
      user: { permissions: { push: true } },
    });
    expect(await permission('carol-reader')).toMatchObject({
      permission: 'read',
      user: { permissions: { push: false } },
    });
  });

  it('opens a pull request with the next number and sends pull_request opened', async () => {
    await git(repo.work, 'checkout', '--quiet', '-b', 'feature');
    const head = await repo.commit({ 'b.txt': 'b\n' }, 'Add b');
    await repo.push('--quiet', 'origin', 'feature');
    const mark = receiver.received.length;

    const { status, data } = await as(users.bob).rest.pulls.create({
      owner,
      repo: repoName,
      title: 'Add b',
      head: 'feature',
      base: 'main',
      body: 'please',
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({
      number: 1,
      state: 'open',
      merged: false,
      user: { login: 'bob-writer' },
      head: { ref: 'feature', sha: head },
      base: { ref: 'main' },
    });
    const [opened, ...others] = since(mark);
    expect(others).toEqual([]);
    expect(opened).toMatchObject({
      event: 'pull_request',
      signatureValid: true,
      payload: {
        action: 'opened',
        number: 1,
        pull_request: {
          user: { login: 'bob-writer' },
          head: { ref: 'feature', sha: head, repo: { full_name: fullName } },
          base: { ref: 'main', repo: { full_name: fullName } },
          state: 'open',
          merged: false,
        },
        repository: { full_name: fullName, default_branch: 'main' },
        sender: { login: 'bob-writer' },
        installation: { id: expect.any(Number) },
      },
    });
    expect(opened!.delivery).toMatch(/^[0-9a-f-]{36}$/);
    expect(github.deliveries.at(-1)).toMatchObject({ event: 'pull_request', action: 'opened', status: 202 });
    expect((await git(repo.bare, 'rev-parse', 'refs/pull/1/head')).stdout.trim()).toBe(head);

    const list = await as(users.carol).rest.pulls.list({ owner, repo: repoName });
    expect(list.data.map((p) => p.number)).toEqual([1]);
    expect((await as(users.carol).rest.pulls.list({ owner, repo: repoName, state: 'closed' })).data).toEqual([]);
  });

  it('refuses a pull request without commits or with a missing branch (422)', async () => {
    await expect(
      as(users.bob).rest.pulls.create({ owner, repo: repoName, title: 'x', head: 'main', base: 'main' }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { message: 'Validation Failed', errors: [{ message: 'No commits between main and main' }] } },
    });
    await expect(
      as(users.bob).rest.pulls.create({ owner, repo: repoName, title: 'x', head: 'nope', base: 'main' }),
    ).rejects.toMatchObject({ status: 422, response: { data: { errors: [{ field: 'head', code: 'invalid' }] } } });
    await expect(
      as(users.bob).rest.pulls.create({ owner, repo: repoName, title: 'again', head: 'feature', base: 'main' }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('sends pull_request synchronize when the head branch is pushed', async () => {
    const before = await repo.sha();
    const after = await repo.commit({ 'b.txt': 'b2\n' }, 'Change b');
    const mark = receiver.received.length;
    const pushed = await repo.push('origin', 'feature');

    expect(since(mark).map((r) => [r.event, r.payload.action])).toEqual([
      ['push', undefined],
      ['pull_request', 'synchronize'],
    ]);
    expect(since(mark)[1]!.payload).toMatchObject({
      action: 'synchronize',
      number: 1,
      before,
      after,
      pull_request: { head: { ref: 'feature', sha: after } },
      sender: { login: 'bob-writer' },
    });
    expect(pushed.stderr).toContain('pushgate: run');
    const { data } = await as(users.carol).rest.pulls.get({ owner, repo: repoName, pull_number: 1 });
    expect(data.head.sha).toBe(after);
  });

  it('sends issue_comment created with the commenter and their association', async () => {
    const mark = receiver.received.length;
    const comment = (user: LocalUser | string, body: string) =>
      as(user).rest.issues.createComment({ owner, repo: repoName, issue_number: 1, body });
    const carol = await comment(users.carol, '/pushgate plan');
    await comment(users.bob, '/pushgate apply');
    await comment(users.alice, 'looks good');
    await comment(BOT_TOKEN, 'pushgate: plan ready');
    expect(carol.data).toMatchObject({ user: { login: 'carol-reader' }, author_association: 'COLLABORATOR' });

    const events = since(mark);
    expect(
      events.map((e) => [
        e.event,
        e.payload.action,
        e.payload.comment.user.login,
        e.payload.comment.author_association,
      ]),
    ).toEqual([
      ['issue_comment', 'created', 'carol-reader', 'COLLABORATOR'],
      ['issue_comment', 'created', 'bob-writer', 'MEMBER'],
      ['issue_comment', 'created', 'alice-admin', 'MEMBER'],
      ['issue_comment', 'created', 'pushgate[bot]', 'NONE'],
    ]);
    expect(events[0]!.payload).toMatchObject({
      comment: { id: carol.data.id, body: '/pushgate plan' },
      issue: { number: 1, pull_request: { url: `${github.url}/repos/${fullName}/pulls/1` } },
      repository: { full_name: fullName, default_branch: 'main' },
      sender: { login: 'carol-reader' },
    });
    expect(events[3]!.payload.comment.user.type).toBe('Bot');
  });

  it('lists comments oldest first with pagination, and lets only the author edit one', async () => {
    const first = await as(users.carol).rest.issues.listComments({
      owner,
      repo: repoName,
      issue_number: 1,
      per_page: 3,
    });
    expect(first.data.map((c) => c.user?.login)).toEqual(['carol-reader', 'bob-writer', 'alice-admin']);
    expect(first.headers.link).toContain('rel="next"');
    const all = await as(users.carol).paginate(as(users.carol).rest.issues.listComments, {
      owner,
      repo: repoName,
      issue_number: 1,
      per_page: 3,
    });
    expect(all).toHaveLength(4);

    const id = first.data[0]!.id;
    await expect(
      as(users.bob).rest.issues.updateComment({ owner, repo: repoName, comment_id: id, body: 'hijacked' }),
    ).rejects.toMatchObject({ status: 403 });
    const edited = await as(users.carol).rest.issues.updateComment({
      owner,
      repo: repoName,
      comment_id: id,
      body: '/pushgate plan infra',
    });
    expect(edited.data.body).toBe('/pushgate plan infra');
    const { data } = await as(users.bob).rest.issues.getComment({ owner, repo: repoName, comment_id: id });
    expect(data).toMatchObject({ body: '/pushgate plan infra', user: { login: 'carol-reader' } });
  });

  it('refuses a merge by a reader (403)', async () => {
    await expect(as(users.carol).rest.pulls.merge({ owner, repo: repoName, pull_number: 1 })).rejects.toMatchObject({
      status: 403,
      response: { data: { message: expect.any(String) } },
    });
  });

  it('merges with a real merge commit, then sends pull_request closed and the base push', async () => {
    await git(repo.work, 'checkout', '--quiet', 'main');
    const mainBefore = await repo.commit({ 'c.txt': 'c\n' }, 'Add c on main');
    await repo.push('--quiet', 'origin', 'main');
    const head = await repo.sha('feature');
    const mark = receiver.received.length;

    const { data } = await as(users.alice).rest.pulls.merge({ owner, repo: repoName, pull_number: 1 });
    expect(data).toMatchObject({ merged: true, message: 'Pull Request successfully merged', sha: expect.any(String) });
    const parents = (await git(repo.bare, 'rev-list', '--parents', '-n', '1', data.sha)).stdout.trim().split(' ');
    expect(parents).toEqual([data.sha, mainBefore, head]);
    expect((await git(repo.bare, 'rev-parse', 'main')).stdout.trim()).toBe(data.sha);
    const files = (await git(repo.bare, 'ls-tree', '--name-only', data.sha)).stdout.trim().split('\n');
    expect(files).toEqual(['a.txt', 'b.txt', 'c.txt', 'shared.txt']);
    expect((await git(repo.bare, 'log', '-1', '--format=%an%n%s', data.sha)).stdout).toBe(
      'alice-admin\nMerge pull request #1 from acme/feature\n',
    );

    const events = since(mark);
    expect(events.map((e) => [e.event, e.payload.action])).toEqual([
      ['pull_request', 'closed'],
      ['push', undefined],
    ]);
    expect(events[0]!.payload).toMatchObject({
      pull_request: { state: 'closed', merged: true, merge_commit_sha: data.sha, merged_by: { login: 'alice-admin' } },
      sender: { login: 'alice-admin' },
    });
    expect(events[1]!.payload).toMatchObject({
      ref: 'refs/heads/main',
      before: mainBefore,
      after: data.sha,
      head_commit: { id: data.sha },
      pusher: { name: 'alice-admin' },
      sender: { login: 'alice-admin' },
      repository: { full_name: fullName },
    });

    const pull = await as(users.carol).rest.pulls.get({ owner, repo: repoName, pull_number: 1 });
    expect(pull.data).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: data.sha, head: { sha: head } });
    await expect(as(users.alice).rest.pulls.merge({ owner, repo: repoName, pull_number: 1 })).rejects.toMatchObject({
      status: 405,
      response: { data: { message: 'Pull Request is not mergeable' } },
    });
  });

  it('lists the pull requests associated with a commit: its merge commit and its head', async () => {
    const api = as(users.carol).rest.repos;
    const merge = (await git(repo.bare, 'rev-parse', 'main')).stdout.trim();
    const head = await repo.sha('feature');
    for (const sha of [merge, head]) {
      const { data } = await api.listPullRequestsAssociatedWithCommit({ owner, repo: repoName, commit_sha: sha });
      // Opened by bob, merged by alice: the author is who opened it.
      expect(data.map((p) => [p.number, p.user?.login])).toEqual([[1, 'bob-writer']]);
    }
    const parent = (await git(repo.bare, 'rev-parse', 'main^1')).stdout.trim();
    const none = await api.listPullRequestsAssociatedWithCommit({ owner, repo: repoName, commit_sha: parent });
    expect(none.data).toEqual([]);
    await expect(
      api.listPullRequestsAssociatedWithCommit({ owner, repo: repoName, commit_sha: 'f'.repeat(40) }),
    ).rejects.toMatchObject({ status: 422 });

    // pushgate's GitHub host reads the same: who opened it, not who merged it; an unknown commit throws.
    const host = createGitHubHost({ token: BOT_TOKEN, baseUrl: github.url, login: 'pushgate[bot]' });
    expect(await host.pullRequestAuthorsOf(fullName, merge)).toEqual(['bob-writer']);
    expect(await host.pullRequestAuthorsOf(fullName, parent)).toEqual([]);
    expect(await host.getPullRequest(fullName, 1)).toMatchObject({ author: 'bob-writer', mergeCommitSha: merge });
    await expect(host.pullRequestAuthorsOf(fullName, 'f'.repeat(40))).rejects.toBeInstanceOf(GitHostError);
  });

  it('squash-merges with one parent and answers 405 on a conflict', async () => {
    await git(repo.work, 'fetch', '--quiet', 'origin');
    await git(repo.work, 'reset', '--quiet', '--hard', 'origin/main');
    await git(repo.work, 'checkout', '--quiet', '-b', 'squashed');
    await repo.commit({ 'd.txt': 'd\n' }, 'Add d');
    await repo.push('--quiet', 'origin', 'squashed');
    await git(repo.work, 'checkout', '--quiet', '-b', 'conflicting', 'origin/main');
    await repo.commit({ 'shared.txt': 'one\nTWO\nthree\n' }, 'Change two');
    await repo.push('--quiet', 'origin', 'conflicting');
    await git(repo.work, 'checkout', '--quiet', 'main');
    await git(repo.work, 'reset', '--quiet', '--hard', 'origin/main');
    await repo.commit({ 'shared.txt': 'one\n2\nthree\n' }, 'Change two differently');
    await repo.push('--quiet', 'origin', 'main');

    const bob = as(users.bob);
    const squash = await bob.rest.pulls.create({
      owner,
      repo: repoName,
      title: 'Add d',
      head: 'squashed',
      base: 'main',
    });
    const conflict = await bob.rest.pulls.create({
      owner,
      repo: repoName,
      title: 'Two',
      head: 'conflicting',
      base: 'main',
    });
    expect([squash.data.number, conflict.data.number]).toEqual([2, 3]);
    const merged = await bob.rest.pulls.merge({ owner, repo: repoName, pull_number: 2, merge_method: 'squash' });
    const log = (await git(repo.bare, 'log', '-1', '--format=%P%n%s', merged.data.sha)).stdout.split('\n');
    expect(log[0]!.split(' ')).toHaveLength(1);
    expect(log[1]).toBe('Add d (#2)');
    await expect(bob.rest.pulls.merge({ owner, repo: repoName, pull_number: 3 })).rejects.toMatchObject({
      status: 405,
      response: { data: { message: 'Pull Request is not mergeable' } },
    });
  });

  it('closes and reopens a pull request, sending closed and reopened', async () => {
    const bob = as(users.bob);
    const mark = receiver.received.length;
    await expect(
      as(users.carol).rest.pulls.update({ owner, repo: repoName, pull_number: 3, state: 'closed' }),
    ).rejects.toMatchObject({ status: 403 });
    const closed = await bob.rest.pulls.update({ owner, repo: repoName, pull_number: 3, state: 'closed' });
    expect(closed.data).toMatchObject({ state: 'closed', merged: false });
    const reopened = await bob.rest.pulls.update({ owner, repo: repoName, pull_number: 3, state: 'open' });
    expect(reopened.data.state).toBe('open');
    expect(since(mark).map((e) => [e.event, e.payload.action, e.payload.pull_request.merged])).toEqual([
      ['pull_request', 'closed', false],
      ['pull_request', 'reopened', false],
    ]);
  });

  it('answers statuses newest first and the combined status per context', async () => {
    // The server's main: the squash merge above is not in the working clone.
    const sha = (await git(repo.bare, 'rev-parse', 'main')).stdout.trim();
    const post = (user: LocalUser | string, state: 'pending' | 'success' | 'failure', context: string) =>
      as(user).rest.repos.createCommitStatus({ owner, repo: repoName, sha, state, context });
    await post(BOT_TOKEN, 'pending', 'pushgate/plan');
    await post(BOT_TOKEN, 'success', 'pushgate/plan');
    const byBob = await post(users.bob, 'pending', 'ci');
    expect(byBob.data.creator?.login).toBe('bob-writer');

    const combined = async () =>
      (await as(users.carol).rest.repos.getCombinedStatusForRef({ owner, repo: repoName, ref: 'main' })).data;
    expect(await combined()).toMatchObject({ state: 'pending', sha, total_count: 2 });
    await post(users.bob, 'failure', 'ci');
    const now = await combined();
    expect(now.state).toBe('failure');
    expect(now.statuses.map((s) => [s.context, s.state]).sort()).toEqual([
      ['ci', 'failure'],
      ['pushgate/plan', 'success'],
    ]);
    await post(users.bob, 'success', 'ci');
    expect((await combined()).state).toBe('success');

    const list = await as(users.carol).rest.repos.listCommitStatusesForRef({ owner, repo: repoName, ref: sha });
    expect(list.data.map((s) => s.state)).toEqual(['success', 'failure', 'pending', 'success', 'pending']);
    expect(list.data[0]!.creator?.login).toBe('bob-writer');
    expect(list.data.at(-1)!.creator?.login).toBe('pushgate[bot]');
  });

  it('stores commit comments', async () => {
    const sha = await repo.sha('main');
    const { data } = await as(users.bob).rest.repos.createCommitComment({
      owner,
      repo: repoName,
      commit_sha: sha,
      body: 'nice',
      path: 'a.txt',
      line: 1,
    });
    expect(data).toMatchObject({ body: 'nice', path: 'a.txt', line: 1, commit_id: sha, user: { login: 'bob-writer' } });
    const list = await as(users.carol).rest.repos.listCommentsForCommit({ owner, repo: repoName, commit_sha: sha });
    expect(list.data.map((c) => c.id)).toEqual([data.id]);
  });

  it('answers team memberships', async () => {
    const octokit = as(BOT_TOKEN);
    const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
      org: 'acme',
      team_slug: 'deployers',
      username: 'bob-writer',
    });
    expect(data).toMatchObject({ state: 'active', role: 'member', url: expect.any(String) });
    await expect(
      octokit.rest.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'deployers', username: 'carol-reader' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      octokit.rest.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'nobody', username: 'bob-writer' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('authenticates as the app with a JWT and issues installation tokens', async () => {
    const jwt = signAppJwt(APP_ID, privateKeyPem);
    const app = as(jwt);
    const { data: installation } = await app.rest.apps.getRepoInstallation({ owner, repo: repoName });
    expect(installation).toMatchObject({ id: expect.any(Number), account: { login: owner }, app_id: APP_ID });
    const before = github.installationTokensCreated;
    const { status, data } = await app.rest.apps.createInstallationAccessToken({ installation_id: installation.id });
    expect(status).toBe(201);
    expect(data.token).toMatch(/^ghs_/);
    const expiresIn = Date.parse(data.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(59 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(60 * 60_000);
    expect(github.installationTokensCreated).toBe(before + 1);

    const installed = as(data.token);
    expect((await installed.rest.repos.get({ owner, repo: repoName })).data.full_name).toBe(fullName);
    const comment = await installed.rest.issues.createComment({ owner, repo: repoName, issue_number: 1, body: 'hi' });
    expect(comment.data.user?.login).toBe('pushgate[bot]');

    // The JWT opens only the app's endpoints, and only a valid JWT opens them.
    await expect(app.rest.repos.get({ owner, repo: repoName })).rejects.toMatchObject({ status: 403 });
    await expect(as(BOT_TOKEN).rest.apps.getRepoInstallation({ owner, repo: repoName })).rejects.toMatchObject({
      status: 401,
    });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    });
    await expect(
      as(signAppJwt(APP_ID, other.toString())).rest.apps.getRepoInstallation({ owner, repo: repoName }),
    ).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'A JSON web token could not be decoded' } },
    });
    const expired = signAppJwt(APP_ID, privateKeyPem, Math.floor(Date.now() / 1000) - 3600);
    await expect(as(expired).rest.apps.getRepoInstallation({ owner, repo: repoName })).rejects.toMatchObject({
      status: 401,
      response: { data: { message: expect.stringContaining("'Expiration time'") } },
    });
  });

  it('serves @octokit/auth-app: the app, its installations, and one cached token for many calls', async () => {
    const appOctokit = new Octokit({
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: privateKeyPem },
      baseUrl: github.url,
      log: quiet,
    });
    expect((await appOctokit.rest.apps.getAuthenticated()).data).toMatchObject({ id: APP_ID, slug: 'pushgate' });
    const { data: installation } = await appOctokit.rest.apps.getOrgInstallation({ org: owner });
    expect((await appOctokit.rest.apps.getUserInstallation({ username: owner })).data.id).toBe(installation.id);
    await expect(appOctokit.rest.apps.getOrgInstallation({ org: 'elsewhere' })).rejects.toMatchObject({ status: 404 });

    const installed = new Octokit({
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: privateKeyPem, installationId: installation.id },
      baseUrl: github.url,
      log: quiet,
    });
    const before = github.installationTokensCreated;
    await installed.rest.repos.get({ owner, repo: repoName });
    await installed.rest.pulls.get({ owner, repo: repoName, pull_number: 1 });
    const status = await installed.rest.repos.createCommitStatus({
      owner,
      repo: repoName,
      sha: (await git(repo.bare, 'rev-parse', 'main')).stdout.trim(),
      state: 'success',
      context: 'app',
    });
    expect(status.data.creator?.login).toBe('pushgate[bot]');
    expect(github.installationTokensCreated).toBe(before + 1);
  });

  it('never fails an API call because the webhook failed, and records the delivery', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/webhook`;
    await new Promise((resolve) => closed.close(resolve));
    github.setWebhook(deadUrl, SECRET);
    try {
      const { status } = await as(users.carol).rest.issues.createComment({
        owner,
        repo: repoName,
        issue_number: 1,
        body: '/pushgate plan',
      });
      expect(status).toBe(201);
      expect(github.deliveries.at(-1)).toMatchObject({ event: 'issue_comment', status: 0, error: expect.any(String) });
    } finally {
      github.setWebhook(receiver.url, SECRET);
    }
  });
});
