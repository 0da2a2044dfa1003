import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Octokit } from '@octokit/rest';
import { describe, expect, it, type TestContext } from 'vitest';
import { pullRequestPayload } from '../../local/git/pull-request-payload.ts';
import { buildPushPayload, ZERO_SHA } from '../../local/git/push-payload.ts';
import { git } from '../../local/git/local-repository.ts';
import { sendWebhook } from '../../local/git/send-webhook.ts';
import { startDevProcess, type DevProcess } from '../helpers/dev-process.ts';
import { commandRepo, deployedVersion } from './support/command-repo.ts';
import { outside, type Outside } from './support/outside.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// Webhooks sent by hand to a `pushgate dev` process, signed with the secret it printed, as GitHub
// sends them: a redelivery, a burst of the same delivery, and a pull request. Only HTTP, git and the
// AWS SDK on the printed endpoints. Each test has a `pushgate dev` of its own: a push deploys only
// what the default branch (main) maps to its branch, so every test's environments come from main,
// and one repository's main can be only one test's.

interface Scenario {
  dev: DevProcess;
  aws: Outside;
  /** A scratch directory for this test's clones. */
  root: string;
  deliver(event: string, payload: unknown, deliveryId: string): ReturnType<typeof sendWebhook>;
}

/**
 * A `pushgate dev` process, its AWS SDK clients and a scratch directory for one test, as
 * useDevSession sets up for a file; stopped (and checked to leave nothing running) after the test.
 * The cleanups run last registered first, each also when one before it failed.
 */
async function startScenario(name: string, onTestFinished: TestContext['onTestFinished']): Promise<Scenario> {
  const root = await mkdtemp(join(tmpdir(), `pushgate-e2e-intake-${name}-`));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const dev = await startDevProcess();
  onTestFinished(() => dev.stop());
  const aws = outside(dev.info);
  onTestFinished(() => aws.destroy());
  const { webhookUrl: url, secret } = dev.info;
  return {
    dev,
    aws,
    root,
    deliver: (event, payload, deliveryId) => sendWebhook({ url, secret, event, payload, deliveryId }),
  };
}

/** `git push pushgate HEAD:<ref>` with the remote's hooks off: the push sends no webhook. */
async function pushWithoutWebhook(dir: string, ref: string): Promise<string> {
  const { stdout, stderr } = await git(
    dir,
    'push',
    '--receive-pack=git -c core.hooksPath=/dev/null receive-pack',
    'pushgate',
    `HEAD:${ref}`,
  );
  return `${stdout}${stderr}`;
}

describe.concurrent('pushgate dev, driven from outside: webhook intake', () => {
  it(
    'a redelivered webhook, and a burst of one delivery, each start exactly one execution',
    { timeout: 60_000 },
    async ({ onTestFinished }) => {
      const { dev, aws, root, deliver } = await startScenario('redeliver', onTestFinished);
      const repo = await workClone(join(root, 'redeliver'), dev.info.remote);
      const sha = await repo.commit(commandRepo('main', { environments: ['redeliver-staging'] }), 'first');
      // The commit reaches the remote under a tag, which pushgate ignores; main is then moved to it by
      // a push that runs no hook: main points to the commit, and the webhooks below are ours.
      const { output } = await repo.push('refs/tags/redeliver-base');
      expect(output).toMatch(/ignored: tag push/);
      expect(await pushWithoutWebhook(repo.dir, 'refs/heads/main')).not.toMatch(/pushgate:/);
      expect(await aws.listExecutions()).toEqual([]);
      // What GitHub sends for main created at that commit.
      const payload = await buildPushPayload({
        bareRepo: dev.info.remote,
        repoFullName: dev.info.repo,
        ref: 'refs/heads/main',
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

      // This process saw no other webhook: these two are all the executions there are.
      const executions = await aws.listExecutions();
      expect(executions).toHaveLength(2);
      expect(executions.filter((execution) => execution.name?.startsWith(`${runId}-`))).toHaveLength(1);
      expect(executions.filter((execution) => execution.name?.startsWith(`${burstRunId}-`))).toHaveLength(1);
      expect((await aws.runsBySha(sha)).map((run) => run.runId).sort()).toEqual([runId, burstRunId].sort());

      const [a, b] = await Promise.all([aws.finished(runId), aws.finished(burstRunId)]);
      expect(a.run).toMatchObject({ status: 'succeeded', deliveryId: once, sha, branch: 'main' });
      expect(b.run).toMatchObject({ status: 'succeeded', deliveryId: burst, sha, branch: 'main' });
      expect(await deployedVersion(dev.info.deployRoot, 'redeliver-staging')).toBe('1\n');
    },
  );

  it(
    'a pull request plans against its base branch’s environments: never applies, takes no lock',
    { timeout: 60_000 },
    async ({ onTestFinished }) => {
      const { dev, aws, root, deliver } = await startScenario('pr', onTestFinished);
      const repo = await workClone(join(root, 'pr'), dev.info.remote);
      const files = commandRepo('main', { environments: ['pr-staging'] });
      const baseSha = await repo.commit(files, '[skip deploy] the base');
      expect((await repo.push('main')).output).toMatch(/ignored: \[skip deploy\]/);
      const headSha = await repo.commit({ 'app/version': '2\n' }, 'bump the version');
      // A branch main's pushgate.yml maps no environment to: its push run is skipped, as for any
      // feature branch.
      const branchRun = await aws.finished(await pushOneRun(repo, 'feature/pr'));
      expect(branchRun.run).toMatchObject({
        status: 'skipped',
        reason: expect.stringContaining("feature/pr in main's pushgate.yml"),
      });

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
      const runId = (answer.body as { runId: string }).runId;
      const result = await aws.finished(runId);

      expect(result.execution.status).toBe('SUCCEEDED');
      expect(result.run).toMatchObject({
        kind: 'plan',
        pullRequest: payload.number,
        sha: headSha,
        status: 'succeeded',
      });
      expect(result.targets).toMatchObject([
        {
          project: 'app',
          environment: 'pr-staging',
          status: 'planned',
          planSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ]);
      expect(result.states).toEqual(expect.arrayContaining(['Validate', 'Plan', 'Summarize', 'Record', 'Notify']));
      // Plan-only: AcquireLock answers without taking the lock, with where the plan build uploads:
      // presigned PUT URLs of this run's own artifacts, nothing else in the bucket.
      const acquired = result.history.filter((event) => event.stateExitedEventDetails?.name === 'AcquireLock');
      expect(acquired).toHaveLength(1);
      const lock = JSON.parse(acquired[0]!.stateExitedEventDetails!.output!).lock as {
        locked: boolean;
        upload: { planBin: string; planJson: string };
      };
      expect(lock).toMatchObject({ locked: false });
      const prefix = `runs/${runId}/app/pr-staging`;
      for (const [url, file] of [
        [lock.upload.planBin, 'plan.bin'],
        [lock.upload.planJson, 'plan.json'],
      ] as const) {
        const link = new URL(url);
        expect(link.origin).toBe(new URL(dev.info.endpoints.s3).origin);
        expect(link.pathname).toBe(`/${dev.info.bucket}/${prefix}/${file}`);
        expect(link.searchParams.get('x-id')).toBe('PutObject');
        expect(link.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
        expect(link.searchParams.get('X-Amz-Credential')).toMatch(
          new RegExp(`^${dev.info.credentials.accessKeyId}/\\d{8}/us-east-1/s3/aws4_request$`),
        );
        expect(Number(link.searchParams.get('X-Amz-Expires'))).toBeGreaterThan(0);
        expect(link.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      }
      // The plan build uploaded its plan (the command engine writes no plan.json) through that URL.
      expect(result.targets[0]!.planArtifactKey).toBe(`${prefix}/plan.bin`);
      const plan = await aws.s3.send(new GetObjectCommand({ Bucket: dev.info.bucket, Key: `${prefix}/plan.bin` }));
      const planBytes = Buffer.from(await plan.Body!.transformToByteArray());
      expect(planBytes.toString('utf8')).toBe('2\n');
      expect(createHash('sha256').update(planBytes).digest('hex')).toBe(result.targets[0]!.planSha256);
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
    },
  );
});
