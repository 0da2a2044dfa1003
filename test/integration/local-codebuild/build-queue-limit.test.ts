import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountLimitExceededException, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { BuildQueue, buildQueueLimit } from '../../../local/codebuild/build-queue.ts';
import { createLocalCodeBuild, type LocalCodeBuild } from '../../../local/codebuild/create-local-codebuild.ts';
import {
  BuildQueueFullError,
  LocalCodeBuildConfigError,
  LocalCodeBuildError,
} from '../../../local/codebuild/errors.ts';
import { startCodeBuild } from '../../../local/codebuild/start-codebuild.ts';
import { eventually } from './fixtures.ts';

// CodeBuild's queue has a ceiling: "The maximum number of builds in a queue is five times the
// concurrent build limit" (https://docs.aws.amazon.com/codebuild/latest/userguide/builds-working.html);
// a StartBuild beyond it fails with AccountLimitExceededException ("Cannot have more than N builds in
// queue for the account") and no build exists. Builds here wait on gate files the test creates.

const WAIT_MS = 30_000;

let root: string;
let gates: string;
let codebuild: LocalCodeBuild | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-codebuild-queue-limit-'));
  gates = join(root, 'gates');
  mkdirSync(gates);
});

afterEach(async () => {
  await codebuild?.close();
  codebuild = undefined;
  rmSync(root, { recursive: true, force: true });
});

/** A buildspec that records that it ran, then waits until the test opens its gate. */
function gated(name: string): string {
  return [
    'version: 0.2',
    'phases:',
    '  build:',
    '    commands:',
    `      - echo ${name} >> ${join(root, 'ran.txt')}`,
    `      - while [ ! -f ${join(gates, name)} ]; do sleep 0.02; done`,
  ].join('\n');
}

const open = (name: string) => writeFileSync(join(gates, name), '');
const ran = () => {
  const file = join(root, 'ran.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
};

describe('buildQueueLimit', () => {
  it("defaults to five times the concurrency, CodeBuild's rule", () => {
    expect(buildQueueLimit(undefined, 1, {})).toBe(5);
    expect(buildQueueLimit(undefined, 4, {})).toBe(20);
  });

  it('is PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT when set, and the option before it; 0 queues nothing', () => {
    expect(buildQueueLimit(undefined, 4, { PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT: '7' })).toBe(7);
    expect(buildQueueLimit(undefined, 4, { PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT: '0' })).toBe(0);
    expect(buildQueueLimit(3, 4, { PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT: '7' })).toBe(3);
  });

  it('refuses what is not a whole number of at least 0, naming the variable', () => {
    expect(() => buildQueueLimit(undefined, 1, { PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT: 'lots' })).toThrow(
      LocalCodeBuildConfigError,
    );
    expect(() => buildQueueLimit(undefined, 1, { PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT: '-1' })).toThrow(
      /PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT/,
    );
    expect(() => buildQueueLimit(1.5, 1, {})).toThrow(/at least 0, not 1.5$/);
  });
});

describe('BuildQueue with a ceiling', () => {
  it('admits up to its limit, queues up to its queue limit, and refuses the next until a place frees', () => {
    const queue = new BuildQueue(1, 1);
    const running = queue.enter();
    const waiting = queue.enter();
    expect(queue.full).toBe(true);
    expect(() => queue.enter()).toThrow(BuildQueueFullError);
    expect(() => queue.enter()).toThrow('Cannot have more than 1 builds in queue for the account');
    waiting.leave();
    expect(queue.full).toBe(false);
    queue.enter();
    running.leave();
    // The queued build now runs: the queue is empty, and a free slot is not a full queue.
    expect(queue.queued).toBe(0);
    expect(queue.full).toBe(false);
  });
});

describe('the local CodeBuild queue ceiling', { timeout: 90_000 }, () => {
  it('fails StartBuild with AccountLimitExceededException once the queue is full, and creates no build', async () => {
    codebuild = createLocalCodeBuild({
      projects: { plan: {} },
      workRoot: join(root, 'work'),
      concurrency: 1,
      queueLimit: 2,
    });
    const start = (name: string) => codebuild!.startBuild({ projectName: 'plan', buildspecOverride: gated(name) });
    await start('first');
    await start('second');
    await start('third');
    expect(codebuild.capacity()).toEqual({ limit: 1, queueLimit: 2, running: 1, queued: 2 });

    const refused = await start('fourth').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(LocalCodeBuildError);
    expect(refused).toMatchObject({
      code: 'AccountLimitExceededException',
      message: 'Cannot have more than 2 builds in queue for the account',
    });
    const { ids } = await codebuild.listBuildsForProject({ projectName: 'plan' });
    expect(ids).toHaveLength(3);

    // The queue drains: once the first build is done, the second runs and a place is free again.
    await eventually(() => ran().length === 1, 'the first build runs', WAIT_MS);
    open('first');
    await eventually(() => codebuild!.capacity().queued === 1, 'the second build leaves the queue', WAIT_MS);
    await start('fifth');
    expect(codebuild.capacity()).toMatchObject({ running: 1, queued: 2 });
    for (const name of ['second', 'third', 'fifth']) open(name);
  });

  it('refuses nothing that can run at once, even with a queue limit of 0', async () => {
    codebuild = createLocalCodeBuild({
      projects: { plan: {} },
      workRoot: join(root, 'work'),
      concurrency: 2,
      queueLimit: 0,
    });
    const start = (name: string) => codebuild!.startBuild({ projectName: 'plan', buildspecOverride: gated(name) });
    await start('a');
    await start('b');
    await expect(start('c')).rejects.toMatchObject({ code: 'AccountLimitExceededException' });
    open('a');
    open('b');
  });

  it('answers the AWS SDK with its AccountLimitExceededException', async () => {
    const credentials = createLocalCredentials();
    const server = await startCodeBuild({
      projects: { plan: {} },
      workRoot: join(root, 'work'),
      credentials,
      concurrency: 1,
      queueLimit: 0,
    });
    const client = new CodeBuildClient({ endpoint: server.url, region: 'us-east-1', credentials });
    try {
      await client.send(new StartBuildCommand({ projectName: 'plan', buildspecOverride: gated('held') }));
      const refused = await client
        .send(new StartBuildCommand({ projectName: 'plan', buildspecOverride: gated('refused') }))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(AccountLimitExceededException);
      expect(refused).toMatchObject({
        name: 'AccountLimitExceededException',
        message: 'Cannot have more than 0 builds in queue for the account',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      open('held');
      client.destroy();
      await server.stop();
    }
  });
});
