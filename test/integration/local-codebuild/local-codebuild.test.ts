import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Build } from '@aws-sdk/client-codebuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_STAND_IN_DIR,
  createLocalCodeBuild,
  type LocalCodeBuild,
} from '../../../local/codebuild/create-local-codebuild.ts';
import { createGitRepo, eventually, isAlive } from './fixtures.ts';

let root: string;
let repo: string;
let shas: string[];
let codebuild: LocalCodeBuild;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-codebuild-test-'));
  repo = join(root, 'repo');
  shas = createGitRepo(repo, [
    { 'README.md': '# infra\n', 'sub/file.txt': 'v1' },
    {
      'sub/file.txt': 'v2',
      'ci/buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands: [echo from-the-repo]\n',
    },
  ]);
  codebuild = createLocalCodeBuild({
    projects: {
      plan: {
        environmentVariables: [
          { name: 'PROJECT_VAR', value: 'from-project' },
          { name: 'OVERRIDDEN', value: 'project' },
        ],
      },
      // 1.5 s, so that the timeout test is quick; CodeBuild itself counts in whole minutes.
      short: { timeoutMinutes: 0.025 },
    },
    workRoot: join(root, 'work'),
    env: { BASE_VAR: 'base' },
    secrets: { '/pushgate/token': 's3cr3t-value' },
  });
});

afterAll(async () => {
  await codebuild.close();
  rmSync(root, { recursive: true, force: true });
});

function phases(build: Build): Array<[string | undefined, string | undefined]> {
  return (build.phases ?? []).map((phase) => [phase.phaseType, phase.phaseStatus]);
}

function phase(build: Build, type: string) {
  return build.phases?.find((candidate) => candidate.phaseType === type);
}

async function run(buildspec: string, extra: Partial<Parameters<LocalCodeBuild['startBuild']>[0]> = {}) {
  const { build } = await codebuild.startBuild({ projectName: 'plan', buildspecOverride: buildspec, ...extra });
  const done = await codebuild.waitForBuild(build!.id!);
  return { started: build!, build: done, logs: codebuild.getLogs(done.id!) };
}

describe('local CodeBuild', () => {
  it('runs every phase in one shell session with CodeBuild variables, project variables and overrides', async () => {
    const buildspec = [
      'version: 0.2',
      'env:',
      '  variables:',
      '    SPEC_VAR: from-buildspec',
      '    OVERRIDDEN: buildspec',
      '  exported-variables: [PLAN_RESULT]',
      'phases:',
      '  install:',
      '    commands:',
      '      - echo "install succeeding=$CODEBUILD_BUILD_SUCCEEDING"',
      '  pre_build:',
      '    commands:',
      '      - cd sub',
      '      - export FROM_PRE_BUILD=yes',
      '      - SHELL_ONLY=shell-var',
      '  build:',
      '    commands:',
      '      - echo "pwd=$(pwd)"',
      '      - echo "file=$(cat file.txt)"',
      '      - echo "pre=$FROM_PRE_BUILD shell=$SHELL_ONLY"',
      '      - echo "vars=$SPEC_VAR $PROJECT_VAR $OVERRIDDEN $RUN_ID $BASE_VAR"',
      '      - echo "id=$CODEBUILD_BUILD_ID src=$CODEBUILD_SRC_DIR sha=$CODEBUILD_RESOLVED_SOURCE_VERSION"',
      '      - echo "aws=$(command -v aws)"',
      '      - export PLAN_RESULT=42',
      '  post_build:',
      '    commands:',
      '      - echo "post in $(basename "$PWD")"',
    ].join('\n');
    const { started, build, logs } = await run(buildspec, {
      sourceLocationOverride: repo,
      sourceVersion: shas[0],
      environmentVariablesOverride: [
        { name: 'RUN_ID', value: 'run-1', type: 'PLAINTEXT' },
        { name: 'OVERRIDDEN', value: 'override' },
      ],
    });

    expect(started.id).toMatch(/^plan:[0-9a-f-]{36}$/);
    expect(started.buildStatus).toBe('IN_PROGRESS');
    expect(started.buildComplete).toBe(false);

    expect(build.buildStatus).toBe('SUCCEEDED');
    expect(build.buildComplete).toBe(true);
    expect(build.currentPhase).toBe('COMPLETED');
    expect(phases(build)).toEqual([
      ['SUBMITTED', 'SUCCEEDED'],
      ['QUEUED', 'SUCCEEDED'],
      ['PROVISIONING', 'SUCCEEDED'],
      ['DOWNLOAD_SOURCE', 'SUCCEEDED'],
      ['INSTALL', 'SUCCEEDED'],
      ['PRE_BUILD', 'SUCCEEDED'],
      ['BUILD', 'SUCCEEDED'],
      ['POST_BUILD', 'SUCCEEDED'],
      ['UPLOAD_ARTIFACTS', 'SUCCEEDED'],
      ['FINALIZING', 'SUCCEEDED'],
      ['COMPLETED', undefined],
    ]);
    expect(phase(build, 'BUILD')).toMatchObject({
      contexts: [{ statusCode: '', message: '' }],
      durationInSeconds: expect.any(Number),
    });
    expect(build.resolvedSourceVersion).toBe(shas[0]);
    expect(build.sourceVersion).toBe(shas[0]);
    expect(build.exportedEnvironmentVariables).toEqual([{ name: 'PLAN_RESULT', value: '42' }]);
    expect(build.logs).toMatchObject({ groupName: '/aws/codebuild/plan', streamName: build.id!.split(':')[1] });
    expect(build.logs?.deepLink).toContain(build.logs!.streamName);
    expect(build.environment?.environmentVariables).toContainEqual({
      name: 'OVERRIDDEN',
      value: 'override',
      type: 'PLAINTEXT',
    });

    const lines = logs.split('\n');
    expect(lines).toContain('install succeeding=1');
    expect(lines.find((line) => line.startsWith('pwd='))).toMatch(/\/src\/sub$/);
    expect(lines).toContain('file=v1');
    expect(lines).toContain('pre=yes shell=shell-var');
    expect(lines).toContain('vars=from-buildspec from-project override run-1 base');
    expect(lines.find((line) => line.startsWith('id='))).toMatch(
      new RegExp(`^id=${build.id} src=\\S+/src sha=${shas[0]}$`),
    );
    expect(lines).toContain(`aws=${AWS_STAND_IN_DIR}/aws`);
    expect(lines).toContain('post in sub');
    expect(logs).toMatch(/\[Container\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} Entering phase BUILD/);
    // The workspace goes away with the build.
    expect(readdirSync(join(root, 'work')).filter((entry) => entry.includes(build.id!.split(':')[1]!))).toEqual([]);
  });

  it('checks out the commit asked for, and fails DOWNLOAD_SOURCE for one that does not exist', async () => {
    const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "file=$(cat sub/file.txt)"\n';
    const second = await run(buildspec, { sourceLocationOverride: repo, sourceVersion: shas[1] });
    expect(second.build.buildStatus).toBe('SUCCEEDED');
    expect(second.logs.split('\n')).toContain('file=v2');

    // A buildspecOverride that is a path names a file of the source.
    const fromPath = await run('ci/buildspec.yml', { sourceLocationOverride: repo, sourceVersion: shas[1] });
    expect(fromPath.logs.split('\n')).toContain('from-the-repo');

    const missing = await run(buildspec, { sourceLocationOverride: repo, sourceVersion: 'f'.repeat(40) });
    expect(missing.build.buildStatus).toBe('FAILED');
    expect(phases(missing.build).map(([type]) => type)).toEqual([
      'SUBMITTED',
      'QUEUED',
      'PROVISIONING',
      'DOWNLOAD_SOURCE',
      'FINALIZING',
      'COMPLETED',
    ]);
    expect(phase(missing.build, 'DOWNLOAD_SOURCE')).toMatchObject({
      phaseStatus: 'FAILED',
      contexts: [{ statusCode: 'CLIENT_ERROR' }],
    });
  });

  it('fails BUILD on a failing command, runs finally and still runs POST_BUILD and UPLOAD_ARTIFACTS', async () => {
    const buildspec = [
      'version: 0.2',
      'phases:',
      '  build:',
      '    commands:',
      '      - echo before',
      '      - "false"',
      '      - echo never',
      '    finally:',
      '      - echo finally-ran',
      '  post_build:',
      '    commands:',
      '      - echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"',
    ].join('\n');
    const { build, logs } = await run(buildspec);
    expect(build.buildStatus).toBe('FAILED');
    expect(phases(build).slice(4)).toEqual([
      ['INSTALL', 'SUCCEEDED'],
      ['PRE_BUILD', 'SUCCEEDED'],
      ['BUILD', 'FAILED'],
      ['POST_BUILD', 'SUCCEEDED'],
      ['UPLOAD_ARTIFACTS', 'SUCCEEDED'],
      ['FINALIZING', 'SUCCEEDED'],
      ['COMPLETED', undefined],
    ]);
    expect(phase(build, 'BUILD')?.contexts).toEqual([
      { statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: false. Reason: exit status 1' },
    ]);
    const lines = logs.split('\n');
    expect(lines).toContain('before');
    expect(lines).not.toContain('never');
    expect(lines).toContain('finally-ran');
    expect(lines).toContain('post succeeding=0');
  });

  it('skips to FINALIZING after an INSTALL failure, and follows on-failure CONTINUE and ABORT', async () => {
    const installFails = await run(
      'version: 0.2\nphases:\n  install:\n    commands: [exit 3]\n  build:\n    commands: [echo never]\n',
    );
    expect(installFails.build.buildStatus).toBe('FAILED');
    expect(phases(installFails.build).slice(4)).toEqual([
      ['INSTALL', 'FAILED'],
      ['FINALIZING', 'SUCCEEDED'],
      ['COMPLETED', undefined],
    ]);
    expect(installFails.logs).toContain('exit status 3');
    expect(installFails.logs.split('\n')).not.toContain('never');

    const continues = await run(
      'version: 0.2\nphases:\n  pre_build:\n    on-failure: CONTINUE\n    commands: ["false"]\n  build:\n    commands: [echo "build succeeding=$CODEBUILD_BUILD_SUCCEEDING"]\n',
    );
    expect(continues.build.buildStatus).toBe('FAILED');
    expect(phase(continues.build, 'PRE_BUILD')?.phaseStatus).toBe('FAILED');
    expect(phase(continues.build, 'BUILD')?.phaseStatus).toBe('SUCCEEDED');
    expect(continues.logs.split('\n')).toContain('build succeeding=0');

    const aborts = await run(
      'version: 0.2\nphases:\n  build:\n    on-failure: ABORT\n    commands: ["false"]\n  post_build:\n    commands: [echo never]\n',
    );
    expect(aborts.build.buildStatus).toBe('FAILED');
    expect(phases(aborts.build).map(([type]) => type)).not.toContain('POST_BUILD');
  });

  it('fails DOWNLOAD_SOURCE with YAML_FILE_ERROR for a buildspec CodeBuild would reject', async () => {
    const { build } = await run('version: 0.2\nphases:\n  build:\n    comands: [echo typo]\n');
    expect(build.buildStatus).toBe('FAILED');
    expect(phase(build, 'DOWNLOAD_SOURCE')).toMatchObject({
      phaseStatus: 'FAILED',
      contexts: [{ statusCode: 'YAML_FILE_ERROR' }],
    });
    expect(phase(build, 'DOWNLOAD_SOURCE')?.contexts?.[0]?.message).toContain('phases.build');
  });

  it('masks PARAMETER_STORE values in the log, and fails PROVISIONING for an unknown parameter', async () => {
    const buildspec = 'version: 0.2\nphases:\n  build:\n    commands: [echo "token=$TOKEN"]\n';
    const known = await run(buildspec, {
      environmentVariablesOverride: [{ name: 'TOKEN', value: '/pushgate/token', type: 'PARAMETER_STORE' }],
    });
    expect(known.build.buildStatus).toBe('SUCCEEDED');
    expect(known.logs.split('\n')).toContain('token=***');
    expect(known.logs).not.toContain('s3cr3t-value');

    const unknown = await run(buildspec, {
      environmentVariablesOverride: [{ name: 'TOKEN', value: '/pushgate/missing', type: 'PARAMETER_STORE' }],
    });
    expect(unknown.build.buildStatus).toBe('FAILED');
    expect(phase(unknown.build, 'PROVISIONING')?.phaseStatus).toBe('FAILED');
  });

  it('times out: TIMED_OUT, and every process the build started is killed', async () => {
    const pidFile = join(root, 'timeout.pid');
    const buildspec = `version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 300 & echo $! > ${pidFile}; sleep 300\n  post_build:\n    commands: [echo never]\n`;
    const { build } = await codebuild.startBuild({ projectName: 'short', buildspecOverride: buildspec });
    const done = await codebuild.waitForBuild(build!.id!);
    expect(done.buildStatus).toBe('TIMED_OUT');
    expect(phase(done, 'BUILD')).toMatchObject({
      phaseStatus: 'TIMED_OUT',
      contexts: [{ statusCode: 'BUILD_TIMED_OUT' }],
    });
    expect(phases(done).map(([type]) => type)).not.toContain('POST_BUILD');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => !isAlive(pid), `the background sleep ${pid} is gone`);
  });

  it('StopBuild: STOPPED, and every process the build started is killed', async () => {
    const pidFile = join(root, 'stop.pid');
    const buildspec = `version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 300 & echo $! > ${pidFile}; echo started; sleep 300\n`;
    const { build } = await codebuild.startBuild({ projectName: 'plan', buildspecOverride: buildspec });
    await eventually(
      () => codebuild.getLogs(build!.id!).split('\n').includes('started'),
      'the build is running its command',
    );
    const stopped = await codebuild.stopBuild({ id: build!.id! });
    expect(stopped.build?.id).toBe(build!.id);
    const done = await codebuild.waitForBuild(build!.id!);
    expect(done.buildStatus).toBe('STOPPED');
    expect(phase(done, 'BUILD')?.phaseStatus).toBe('STOPPED');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => !isAlive(pid), `the background sleep ${pid} is gone`);
    expect(existsSync(join(root, 'work', `plan-${build!.id!.split(':')[1]}`))).toBe(false);
  });

  it('answers BatchGetBuilds with buildsNotFound and rejects unknown projects', async () => {
    const result = await codebuild.batchGetBuilds({ ids: ['plan:00000000-0000-0000-0000-000000000000'] });
    expect(result).toEqual({ builds: [], buildsNotFound: ['plan:00000000-0000-0000-0000-000000000000'] });
    await expect(codebuild.startBuild({ projectName: 'nope' })).rejects.toMatchObject({
      code: 'ResourceNotFoundException',
    });
  });
});
