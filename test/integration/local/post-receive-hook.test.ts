import { readFile, stat, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { verify } from '@octokit/webhooks-methods';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '../../../local/http/loopback-server.ts';
import { HookInstallError, installPostReceiveHook } from '../../../local/git/install-hook.ts';
import { sendWebhook } from '../../../local/git/send-webhook.ts';
import { createRepoFixture, type RepoFixture } from './helpers/git-fixture.ts';

const SECRET = 'It’s a Secret to Everybody';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback webhook receiver standing in for the local API Gateway. */
async function startReceiver(answer: (delivery: Delivery) => { status: number; body: unknown } | 'hang') {
  const deliveries: Delivery[] = [];
  const server = await listenOnLoopback(async (req, res) => {
    const delivery = { headers: req.headers, body: (await readBody(req)).toString('utf8') };
    deliveries.push(delivery);
    const reply = answer(delivery);
    if (reply !== 'hang') sendJson(res, reply.status, reply.body);
  });
  return { server, deliveries };
}

describe('post-receive hook', () => {
  let repo: RepoFixture;
  let receiver: { server: LoopbackServer; deliveries: Delivery[] } | undefined;

  beforeEach(async () => {
    repo = await createRepoFixture();
  });
  afterEach(async () => {
    await receiver?.server.stop();
    receiver = undefined;
    await repo.cleanup();
  });

  it('sends a signed push webhook for each pushed ref and shows the run to the pusher', async () => {
    receiver = await startReceiver(() => ({
      status: 202,
      body: { runId: '01HZXTEST', consoleUrl: 'https://console.example/run/01HZXTEST' },
    }));
    const installed = await installPostReceiveHook(repo.bare, {
      webhookUrl: `${receiver.server.url}/webhook`,
      secret: SECRET,
      repoFullName: 'acme/infra',
    });
    const sha = await repo.commit({ 'network/main.tf': 'resource {}\n' }, 'Add network');
    const pushed = await repo.push('origin', 'main', 'main:refs/heads/release');

    expect(pushed.stderr).toContain('remote: pushgate: run 01HZXTEST started: https://console.example/run/01HZXTEST');
    expect(receiver.deliveries).toHaveLength(2);
    const [main, release] = receiver.deliveries.map((d) => ({ ...d, payload: JSON.parse(d.body) }));
    for (const delivery of [main!, release!]) {
      expect(delivery.headers['x-github-event']).toBe('push');
      expect(delivery.headers['x-github-delivery']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      expect(delivery.headers['user-agent']).toBe('GitHub-Hookshot/pushgate-local');
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(await verify(SECRET, delivery.body, String(delivery.headers['x-hub-signature-256']))).toBe(true);
      expect(await verify('another secret', delivery.body, String(delivery.headers['x-hub-signature-256']))).toBe(
        false,
      );
    }
    expect(main!.payload).toMatchObject({
      ref: 'refs/heads/main',
      after: sha,
      created: true,
      repository: { full_name: 'acme/infra', clone_url: repo.bare },
    });
    expect(main!.payload.head_commit.added).toEqual(['network/main.tf']);
    expect(release!.payload.ref).toBe('refs/heads/release');

    // The secret lives only in the 0600 config file, not in the hook script.
    expect((await stat(installed.configPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(installed.hookPath, 'utf8')).not.toContain(SECRET);
    expect(JSON.parse(await readFile(installed.configPath, 'utf8')).secret).toBe(SECRET);
  });

  it('prints why a delivery was refused and still completes the push', async () => {
    receiver = await startReceiver(() => ({ status: 401, body: { message: 'signature does not match' } }));
    await installPostReceiveHook(repo.bare, {
      webhookUrl: receiver.server.url,
      secret: SECRET,
      repoFullName: 'acme/infra',
    });
    const sha = await repo.commit({ 'a.tf': '1' }, 'one');
    const pushed = await repo.push('origin', 'main');
    expect(pushed.stderr).toContain(
      'remote: pushgate: refs/heads/main: the webhook answered 401: signature does not match',
    );
    expect(await repo.sha('origin/main')).toBe(sha);
  });

  it('prints an ignored push with its reason', async () => {
    receiver = await startReceiver(() => ({
      status: 202,
      body: { ignored: true, reason: 'branch feature maps to no environment' },
    }));
    await installPostReceiveHook(repo.bare, {
      webhookUrl: receiver.server.url,
      secret: SECRET,
      repoFullName: 'acme/infra',
    });
    await repo.commit({ 'a.tf': '1' }, 'one');
    const pushed = await repo.push('origin', 'main:feature');
    expect(pushed.stderr).toContain(
      'remote: pushgate: refs/heads/feature: ignored: branch feature maps to no environment',
    );
  });

  it('never fails the push when the webhook is unreachable or hangs', async () => {
    const closed = await listenOnLoopback(() => {});
    await closed.stop();
    await installPostReceiveHook(repo.bare, {
      webhookUrl: `${closed.url}/webhook`,
      secret: SECRET,
      repoFullName: 'acme/infra',
    });
    const first = await repo.commit({ 'a.tf': '1' }, 'one');
    const unreachable = await repo.push('origin', 'main');
    expect(unreachable.stderr).toContain(`remote: pushgate: refs/heads/main: could not notify ${closed.url}/webhook`);
    expect(await repo.sha('origin/main')).toBe(first);

    receiver = await startReceiver(() => 'hang');
    await installPostReceiveHook(repo.bare, {
      webhookUrl: receiver.server.url,
      secret: SECRET,
      repoFullName: 'acme/infra',
      timeoutMs: 200,
    });
    const second = await repo.commit({ 'a.tf': '2' }, 'two');
    const hanging = await repo.push('origin', 'main');
    expect(hanging.stderr).toContain('timed out');
    expect(await repo.sha('origin/main')).toBe(second);
  });

  it('does not replace a post-receive hook it did not write', async () => {
    await writeFile(join(repo.bare, 'hooks', 'post-receive'), '#!/bin/sh\necho mine\n', { mode: 0o755 });
    await expect(
      installPostReceiveHook(repo.bare, {
        webhookUrl: 'http://127.0.0.1:9',
        secret: SECRET,
        repoFullName: 'acme/infra',
      }),
    ).rejects.toThrow(HookInstallError);
    await installPostReceiveHook(repo.bare, {
      webhookUrl: 'http://127.0.0.1:9',
      secret: SECRET,
      repoFullName: 'acme/infra',
      force: true,
    });
    // Reinstalling over its own hook is fine.
    await installPostReceiveHook(repo.bare, {
      webhookUrl: 'http://127.0.0.1:9',
      secret: SECRET,
      repoFullName: 'acme/infra',
    });
  });
});

describe('sendWebhook', () => {
  it('signs the exact body and returns the parsed answer', async () => {
    const receiver = await startReceiver((d) => ({ status: 200, body: { got: JSON.parse(d.body).zen } }));
    try {
      const result = await sendWebhook({
        url: receiver.server.url,
        secret: SECRET,
        event: 'ping',
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        payload: { zen: 'Design for failure.', hook_id: 1 },
      });
      expect(result).toEqual({
        status: 200,
        body: { got: 'Design for failure.' },
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      });
      const delivery = receiver.deliveries[0]!;
      expect(delivery.headers['x-github-event']).toBe('ping');
      expect(delivery.headers['x-github-delivery']).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
      expect(await verify(SECRET, delivery.body, String(delivery.headers['x-hub-signature-256']))).toBe(true);
    } finally {
      await receiver.server.stop();
    }
  });
});
