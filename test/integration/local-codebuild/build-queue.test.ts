import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Build } from '@aws-sdk/client-codebuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConcurrency } from '../../../local/codebuild/build-queue.ts';
import { createLocalCodeBuild, type LocalCodeBuild } from '../../../local/codebuild/create-local-codebuild.ts';
import { LocalCodeBuildConfigError } from '../../../local/codebuild/errors.ts';
import { eventually } from './fixtures.ts';

// The local CodeBuild's queue: beyond its concurrency, builds wait in QUEUED, first in, first out, as
// builds beyond the account's concurrent build quota do on CodeBuild. Builds here wait on a gate
// file the test creates, so what runs and what waits is decided by the test, not by timing.

/** How long a build may take to start on a loaded machine; a bound, not a timing assertion. */
const WAIT_MS = 30_000;

let root: string;
let gates: string;
let codebuild: LocalCodeBuild | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-codebuild-queue-'));
  gates = join(root, 'gates');
  mkdirSync(gates);
});

afterEach(async () => {
  await codebuild?.close();
  codebuild = undefined;
  rmSync(root, { recursive: true, force: true });
});

function create(concurrency: number): LocalCodeBuild {
  codebuild = createLocalCodeBuild({ projects: { plan: {} }, workRoot: join(root, 'work'), concurrency });
  return codebuild;
}

/** A build that records that it ran, then waits until the test opens its gate. */
async function start(name: string, extra: Partial<Parameters<LocalCodeBuild['startBuild']>[0]> = {}) {
  const buildspec = [
    'version: 0.2',
    'phases:',
    '  build:',
    '    commands:',
    `      - echo ${name} >> ${join(root, 'ran.txt')}`,
    `      - while [ ! -f ${join(gates, name)} ]; do sleep 0.02; done`,
  ].join('\n');
  const { build } = await codebuild!.startBuild({ projectName: 'plan', buildspecOverride: buildspec, ...extra });
  return build!.id!;
}

function open(name: string): void {
  writeFileSync(join(gates, name), '');
}

function ran(): string[] {
  const file = join(root, 'ran.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

async function get(id: string): Promise<Build> {
  const { builds } = await codebuild!.batchGetBuilds({ ids: [id] });
  return builds![0]!;
}

function phases(build: Build): Array<[string | undefined, string | undefined]> {
  return (build.phases ?? []).map((phase) => [phase.phaseType, phase.phaseStatus]);
}

describe('the local CodeBuild queue', { timeout: 90_000 }, () => {
  it('runs one build at a time with a limit of 1: the others wait in QUEUED and run in the order they came', async () => {
    create(1);
    const first = await start('first');
    const second = await start('second');
    const third = await start('third');

    await eventually(() => ran().length === 1, 'the first build runs', WAIT_MS);
    expect(ran()).toEqual(['first']);
    expect((await get(first)).currentPhase).toBe('BUILD');
    for (const id of [second, third]) {
      const build = await get(id);
      expect(build).toMatchObject({ currentPhase: 'QUEUED', buildStatus: 'IN_PROGRESS', buildComplete: false });
      expect(phases(build)).toEqual([
        ['SUBMITTED', 'SUCCEEDED'],
        ['QUEUED', undefined],
      ]);
    }
    expect(codebuild!.capacity()).toEqual({ limit: 1, queueLimit: 5, running: 1, queued: 2 });

    open('first');
    await codebuild!.waitForBuild(first);
    await eventually(() => ran().length === 2, 'the second build runs', WAIT_MS);
    expect(ran()).toEqual(['first', 'second']);
    expect((await get(third)).currentPhase).toBe('QUEUED');

    open('second');
    open('third');
    const builds = await Promise.all([second, third].map((id) => codebuild!.waitForBuild(id)));
    expect(ran()).toEqual(['first', 'second', 'third']);
    for (const build of builds) {
      expect(build.buildStatus).toBe('SUCCEEDED');
      expect(phases(build).slice(0, 3)).toEqual([
        ['SUBMITTED', 'SUCCEEDED'],
        ['QUEUED', 'SUCCEEDED'],
        ['PROVISIONING', 'SUCCEEDED'],
      ]);
    }
    expect(codebuild!.capacity()).toEqual({ limit: 1, queueLimit: 5, running: 0, queued: 0 });
  });

  it('StopBuild of a queued build stops it without running anything, and the next one takes its turn', async () => {
    create(1);
    const first = await start('first');
    const stopped = await start('stopped');
    const last = await start('last');
    await eventually(() => ran().length === 1, 'the first build runs', WAIT_MS);

    const { build: answer } = await codebuild!.stopBuild({ id: stopped });
    expect(answer?.buildComplete).toBe(false);
    const build = await codebuild!.waitForBuild(stopped);
    expect(build).toMatchObject({ buildStatus: 'STOPPED', currentPhase: 'COMPLETED', buildComplete: true });
    expect(phases(build)).toEqual([
      ['SUBMITTED', 'SUCCEEDED'],
      ['QUEUED', 'STOPPED'],
      ['COMPLETED', undefined],
    ]);
    expect(build.phases![1]!.contexts).toEqual([{ statusCode: 'BUILD_STOPPED', message: 'Build was stopped' }]);
    // The first build still runs alone; the stopped one never took a slot.
    expect(codebuild!.capacity()).toEqual({ limit: 1, queueLimit: 5, running: 1, queued: 1 });

    open('first');
    open('last');
    expect((await codebuild!.waitForBuild(first)).buildStatus).toBe('SUCCEEDED');
    expect((await codebuild!.waitForBuild(last)).buildStatus).toBe('SUCCEEDED');
    expect(ran()).toEqual(['first', 'last']);
  });

  it('a build queued longer than its queuedTimeoutInMinutes ends TIMED_OUT without running', async () => {
    create(1);
    const first = await start('first');
    await eventually(() => ran().length === 1, 'the first build runs', WAIT_MS);
    // 0.6 s: CodeBuild counts whole minutes (5 to 480); fractions are allowed locally.
    const waiting = await start('waiting', { queuedTimeoutInMinutesOverride: 0.01 });

    const build = await codebuild!.waitForBuild(waiting);
    expect(build).toMatchObject({ buildStatus: 'TIMED_OUT', queuedTimeoutInMinutes: 0.01, buildComplete: true });
    expect(phases(build)).toEqual([
      ['SUBMITTED', 'SUCCEEDED'],
      ['QUEUED', 'TIMED_OUT'],
      ['COMPLETED', undefined],
    ]);
    expect(build.phases![1]!.contexts).toEqual([
      { statusCode: 'BUILD_TIMED_OUT', message: 'Build has timed out after being queued for 0.01 minutes' },
    ]);
    expect(codebuild!.getLogs(waiting)).toContain('Build timed out while queued');
    expect(ran()).toEqual(['first']);
    expect((await get(first)).buildComplete).toBe(false);

    open('first');
    expect((await codebuild!.waitForBuild(first)).buildStatus).toBe('SUCCEEDED');
  });

  it('close() ends queued builds as well as running ones', async () => {
    create(1);
    const first = await start('first');
    const queued = await start('queued');
    await eventually(() => ran().length === 1, 'the first build runs', WAIT_MS);
    await codebuild!.close();
    expect((await codebuild!.waitForBuild(first)).buildStatus).toBe('STOPPED');
    expect((await codebuild!.waitForBuild(queued)).buildStatus).toBe('STOPPED');
    expect(ran()).toEqual(['first']);
  });
});

describe('buildConcurrency', () => {
  it('takes the option, else PUSHGATE_LOCAL_BUILD_CONCURRENCY, else the machine (at least 2)', () => {
    expect(buildConcurrency(3, { PUSHGATE_LOCAL_BUILD_CONCURRENCY: '5' })).toBe(3);
    expect(buildConcurrency(undefined, { PUSHGATE_LOCAL_BUILD_CONCURRENCY: '5' })).toBe(5);
    expect(buildConcurrency(undefined, {})).toBe(Math.max(2, availableParallelism()));
  });

  it('refuses a value that is not a whole number of at least 1', () => {
    for (const value of ['0', '-1', '1.5', 'many']) {
      expect(() => buildConcurrency(undefined, { PUSHGATE_LOCAL_BUILD_CONCURRENCY: value })).toThrow(
        LocalCodeBuildConfigError,
      );
    }
    expect(() => buildConcurrency(0, {})).toThrow(/at least 1, not 0$/);
  });
});
