import { verify } from '@octokit/webhooks-methods';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '../../../local/http/loopback-server.ts';
import { startGitHub, type LocalGitHub } from '../../../local/github/start-github.ts';
import { createRepoFixture, git, type RepoFixture } from './helpers/git-fixture.ts';

// The repository webhooks API of the local GitHub (what `pushgate setup` registers with), and its
// deliveries to the hooks: a ping when one is created, then the events each one subscribed to,
// signed with its own secret.
const BOT_TOKEN = 'ghp_bot';
const ADMIN_TOKEN = 'ghp_admin';
const WRITER_TOKEN = 'ghp_writer';
const REPO = { owner: 'acme', repo: 'infra' };
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Received {
  event: string;
  hookId: string;
  path: string;
  verified: { [secret: string]: boolean };
  payload: Record<string, unknown>;
}

describe('local GitHub repository hooks', () => {
  let fixture: RepoFixture;
  let github: LocalGitHub;
  let receiver: LoopbackServer;
  let admin: Octokit;
  const received: Received[] = [];
  const secrets = ['first-secret', 'second-secret', 'rotated-secret'];

  beforeAll(async () => {
    fixture = await createRepoFixture();
    await fixture.commit({ 'pushgate.yml': 'version: 1\n' }, 'Initial commit');
    await fixture.push('--quiet', 'origin', 'main');
    receiver = await listenOnLoopback((req, res) => {
      void readBody(req).then(async (body) => {
        const signature = String(req.headers['x-hub-signature-256'] ?? '');
        const verified: Received['verified'] = {};
        for (const secret of secrets) verified[secret] = await verify(secret, body.toString('utf8'), signature);
        received.push({
          event: String(req.headers['x-github-event']),
          hookId: String(req.headers['x-github-hook-id']),
          path: req.url ?? '',
          verified,
          payload: JSON.parse(body.toString('utf8')) as Record<string, unknown>,
        });
        sendJson(res, req.headers['x-github-event'] === 'ping' ? 200 : 202, { ok: true });
      });
    });
    github = await startGitHub({
      repos: { 'acme/infra': fixture.bare },
      token: BOT_TOKEN,
      users: [
        { login: 'alice-admin', role: 'admin', token: ADMIN_TOKEN },
        { login: 'bob-writer', role: 'write', token: WRITER_TOKEN },
      ],
    });
    admin = new Octokit({ auth: ADMIN_TOKEN, baseUrl: github.url, log: quiet });
  });
  beforeEach(() => void received.splice(0));
  afterAll(async () => {
    await github?.stop();
    await receiver?.stop();
    await fixture?.cleanup();
  });

  it('only a repository admin sees or changes hooks (404 for others, as on GitHub)', async () => {
    for (const token of [BOT_TOKEN, WRITER_TOKEN]) {
      const octokit = new Octokit({ auth: token, baseUrl: github.url, log: quiet });
      await expect(octokit.rest.repos.listWebhooks(REPO)).rejects.toMatchObject({ status: 404 });
      await expect(
        octokit.rest.repos.createWebhook({ ...REPO, config: { url: `${receiver.url}/x` } }),
      ).rejects.toMatchObject({ status: 404 });
    }
    expect(github.hooks('acme/infra')).toEqual([]);
  });

  it('creates a hook, masks its secret, and pings it at once, signed with its secret', async () => {
    const { status, data } = await admin.rest.repos.createWebhook({
      ...REPO,
      name: 'web',
      active: true,
      events: ['push', 'pull_request', 'issue_comment'],
      config: { url: `${receiver.url}/one`, content_type: 'json', secret: 'first-secret', insecure_ssl: '0' },
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({
      type: 'Repository',
      name: 'web',
      active: true,
      events: ['push', 'pull_request', 'issue_comment'],
      config: { url: `${receiver.url}/one`, content_type: 'json', secret: '********', insecure_ssl: '0' },
    });
    expect(JSON.stringify(data)).not.toContain('first-secret');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      event: 'ping',
      path: '/one',
      verified: { 'first-secret': true, 'second-secret': false },
      payload: {
        hook_id: data.id,
        hook: { id: data.id, events: data.events },
        repository: { full_name: 'acme/infra' },
      },
    });
    expect(JSON.stringify(received[0]?.payload)).not.toContain('first-secret');
    const { data: listed } = await admin.rest.repos.listWebhooks(REPO);
    expect(listed.map((hook) => hook.id)).toEqual([data.id]);
    expect(listed[0]?.last_response).toMatchObject({ code: 200, status: 'active' });
  });

  it('refuses a second hook with the same URL, a hook without a URL, and unknown fields', async () => {
    const url = `${receiver.url}/one`;
    await expect(admin.rest.repos.createWebhook({ ...REPO, config: { url } })).rejects.toMatchObject({
      status: 422,
      response: {
        data: { message: 'Validation Failed', errors: [{ message: 'Hook already exists on this repository' }] },
      },
    });
    await expect(
      admin.request('POST /repos/{owner}/{repo}/hooks', { ...REPO, config: {} as { url: string } }),
    ).rejects.toMatchObject({ status: 422, response: { data: { errors: [{ message: 'Config must contain URL' }] } } });
    await expect(
      admin.rest.repos.createWebhook({ ...REPO, config: { url: `${receiver.url}/x`, content_type: 'xml' } }),
    ).rejects.toMatchObject({ status: 422 });
    expect(received).toEqual([]);
  });

  it('delivers the events each hook subscribed to, each signed with its own secret', async () => {
    const { data: second } = await admin.rest.repos.createWebhook({
      ...REPO,
      events: ['pull_request'],
      config: { url: `${receiver.url}/two`, content_type: 'json', secret: 'second-secret' },
    });
    received.splice(0);
    await git(fixture.work, 'checkout', '--quiet', '-b', 'feature');
    const after = await fixture.commit({ 'main.tf': 'x\n' }, 'Add main.tf');
    await fixture.push('--quiet', 'origin', 'feature');
    // What the post-receive hook tells the local GitHub after a push: registered hooks get `push`.
    const before = '0'.repeat(40);
    await github.refsUpdated('acme/infra', [{ ref: 'refs/heads/feature', before, after }]);
    const writer = new Octokit({ auth: WRITER_TOKEN, baseUrl: github.url, log: quiet });
    const { data: pull } = await writer.rest.pulls.create({
      ...REPO,
      title: 'Add main',
      head: 'feature',
      base: 'main',
    });
    await writer.rest.issues.createComment({ ...REPO, issue_number: pull.number, body: '/pushgate plan' });
    expect(received.map((r) => `${r.path} ${r.event}`)).toEqual([
      '/one push',
      '/one pull_request',
      '/two pull_request',
      '/one issue_comment',
    ]);
    for (const delivery of received) {
      const secret = delivery.path === '/one' ? 'first-secret' : 'second-secret';
      expect(delivery.verified[secret], `${delivery.path} ${delivery.event}`).toBe(true);
    }
    expect(github.deliveries.filter((d) => d.hookId === second.id).map((d) => d.event)).toEqual([
      'ping',
      'pull_request',
    ]);
  });

  it('updates a hook in place (events, secret, active) and deletes it', async () => {
    const [one] = github.hooks('acme/infra');
    const id = one!.id;
    const { data } = await admin.rest.repos.updateWebhook({
      ...REPO,
      hook_id: id,
      events: ['push'],
      config: { url: `${receiver.url}/one`, content_type: 'json', secret: 'rotated-secret' },
    });
    expect(data).toMatchObject({ id, events: ['push'], config: { secret: '********' } });
    expect(github.hooks('acme/infra').find((hook) => hook.id === id)?.config.secret).toBe('rotated-secret');
    await admin.rest.repos.pingWebhook({ ...REPO, hook_id: id });
    expect(received.map((r) => [r.event, r.verified['rotated-secret']])).toEqual([['ping', true]]);
    await admin.rest.repos.updateWebhook({ ...REPO, hook_id: id, active: false });
    await admin.rest.repos.deleteWebhook({ ...REPO, hook_id: id });
    await expect(admin.rest.repos.getWebhook({ ...REPO, hook_id: id })).rejects.toMatchObject({ status: 404 });
    expect(github.hooks('acme/infra').map((hook) => hook.id)).not.toContain(id);
  });
});
