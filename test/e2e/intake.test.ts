import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { pullRequestPayload } from '../../local/git/pull-request-payload.ts';
import { buildPushPayload, ZERO_SHA } from '../../local/git/push-payload.ts';
import { sendWebhook } from '../../local/git/send-webhook.ts';
import type { DevProcess } from '../helpers/dev-process.ts';
import { useDevSession } from './support/dev-session.ts';
import { commandRepo, deployedVersion } from './support/command-repo.ts';
import type { Outside } from './support/outside.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// Webhooks sent by hand to a `pushgate dev` process, signed with the secret it printed, as GitHub
// sends them: a redelivery, a burst of the same delivery, and a pull request. Only HTTP, git and the
// AWS SDK on the printed endpoints.

let dev: DevProcess;
let aws: Outside;
let root: string;
useDevSession('intake', (session) => ({ dev, aws, root } = session));

function deliver(event: string, payload: unknown, deliveryId: string) {
  return sendWebhook({ url: dev.info.webhookUrl, secret: dev.info.secret, event, payload, deliveryId });
}

describe.concurrent('pushgate dev, driven from outside: webhook intake', () => {
  it('a redelivered webhook, and a burst of one delivery, each start exactly one execution', async () => {
    const repo = await workClone(join(root, 'redeliver'), dev.info.remote);
    const sha = await repo.commit(commandRepo('redeliver', { environments: ['redeliver-staging'] }), 'first');
    // The commit reaches the remote under a tag, which pushgate ignores: the webhooks below are ours.
    const { output } = await repo.push('refs/tags/redeliver-base');
    expect(output).toMatch(/ignored: tag push/);
    const payload = await buildPushPayload({
      bareRepo: dev.info.remote,
      repoFullName: dev.info.repo,
      ref: 'refs/heads/redeliver',
      before: ZERO_SHA,
      after: sha,
    });

    const once = randomUUID();
    const first = await deliver('push', payload, once);
    expect(first.status).toBe(202);
    const runId = (first.body as { runId: string }).runId;
    expect(runId).toEqual(expect.any(String));
    const again = await deliver('push', payload, once);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, runId } });

    const burst = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver('push', payload, burst)));
    const started = answers.filter((answer) => answer.status === 202);
    expect(started).toHaveLength(1);
    const burstRunId = (started[0]!.body as { runId: string }).runId;
    expect(burstRunId).not.toBe(runId);
    const duplicates = answers.filter((answer) => answer.status === 200);
    expect(duplicates).toHaveLength(4);
    for (const duplicate of duplicates) expect(duplicate.body).toEqual({ duplicate: true, runId: burstRunId });

    const executions = await aws.listExecutions();
    expect(executions.filter((execution) => execution.name?.endsWith(once))).toHaveLength(1);
    expect(executions.filter((execution) => execution.name?.endsWith(burst))).toHaveLength(1);
    expect((await aws.runsBySha(sha)).map((run) => run.runId).sort()).toEqual([runId, burstRunId].sort());

    const [a, b] = await Promise.all([aws.finished(runId), aws.finished(burstRunId)]);
    expect(a.run).toMatchObject({ status: 'succeeded', deliveryId: once, sha });
    expect(b.run).toMatchObject({ status: 'succeeded', deliveryId: burst, sha });
    expect(await deployedVersion(dev.info.deployRoot, 'redeliver-staging')).toBe('1\n');
  });

  it('a pull request plans against its base branch’s environments: never applies, takes no lock', async () => {
    const repo = await workClone(join(root, 'pr'), dev.info.remote);
    const files = commandRepo('main', { environments: ['pr-staging'] });
    const baseSha = await repo.commit(files, '[skip deploy] the base');
    expect((await repo.push('main')).output).toMatch(/ignored: \[skip deploy\]/);
    const headSha = await repo.commit({ 'app/version': '2\n' }, 'bump the version');
    // A branch no environment is mapped to: its push run is skipped, as for any feature branch.
    const branchRun = await aws.finished(await pushOneRun(repo, 'feature/pr'));
    expect(branchRun.run).toMatchObject({ status: 'skipped', reason: expect.stringContaining('feature/pr') });

    // GitHub's documented `opened` example (@octokit/webhooks-examples), pointed at this repository.
    const payload = pullRequestPayload({
      repo: dev.info.repo,
      headRef: 'feature/pr',
      headSha,
      baseRef: 'main',
      baseSha,
    });

    const answer = await deliver('pull_request', payload, randomUUID());
    expect(answer.status).toBe(202);
    const result = await aws.finished((answer.body as { runId: string }).runId);

    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.run).toMatchObject({ kind: 'plan', pullRequest: payload.number, sha: headSha, status: 'succeeded' });
    expect(result.targets).toMatchObject([
      {
        project: 'app',
        environment: 'pr-staging',
        status: 'planned',
        planSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
    expect(result.states).toEqual(expect.arrayContaining(['Validate', 'Plan', 'Summarize', 'Record', 'Notify']));
    // Plan-only: AcquireLock (if the workflow enters it at all) answers without taking the lock.
    for (const exited of result.history.filter((event) => event.stateExitedEventDetails?.name === 'AcquireLock')) {
      expect(JSON.parse(exited.stateExitedEventDetails!.output!).lock).toEqual({ locked: false });
    }
    expect(result.states).not.toContain('Apply');
    expect(result.states).not.toContain('WaitForApproval');

    // What Validate read is what the local GitHub serves over its REST API, as Octokit sees it.
    const octokit = new Octokit({ baseUrl: dev.info.endpoints.github, auth: dev.info.githubToken });
    const [owner, name] = dev.info.repo.split('/') as [string, string];
    const { data } = await octokit.rest.repos.getContent({ owner, repo: name, path: 'pushgate.yml', ref: headSha });
    expect(Buffer.from((data as { content: string }).content, 'base64').toString('utf8')).toBe(files['pushgate.yml']);
    const compare = await octokit.rest.repos.compareCommitsWithBasehead({
      owner,
      repo: name,
      basehead: `${baseSha}...${headSha}`,
    });
    expect(compare.data.files?.map((file) => file.filename)).toEqual(['app/version']);
    expect(await aws.getLock({ repo: dev.info.repo, project: 'app', environment: 'pr-staging' })).toBeUndefined();
    expect(await aws.getCurrent('pr-staging', 'app')).toBeUndefined();
    expect(await deployedVersion(dev.info.deployRoot, 'pr-staging')).toBeUndefined();
  });
});
