import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Build } from '@aws-sdk/client-codebuild';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3BuildspecLocation } from '../../../local/codebuild/buildspec.ts';
import { createLocalCodeBuild, type LocalCodeBuild } from '../../../local/codebuild/create-local-codebuild.ts';
import { startS3, type RunningS3 } from '../../helpers/s3.ts';

// CodeBuild takes `buildspecOverride` as inline YAML, a path in the source, or an S3 object's ARN
// (`arn:aws:s3:::bucket/key`), which it downloads with the project's service role before running it.
// https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html
// The local CodeBuild reads such a buildspec from the local S3 its builds' env names.

let root: string;
let s3: RunningS3;
let codebuild: LocalCodeBuild;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-codebuild-s3-buildspec-'));
  s3 = await startS3();
  codebuild = createLocalCodeBuild({
    projects: { plan: {} },
    workRoot: join(root, 'work'),
    // What the local stack gives its builds: the S3 endpoint and the stack's credentials.
    env: {
      ...s3.env,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    },
  });
});

afterAll(async () => {
  await codebuild?.close();
  await s3?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function put(key: string, body: string): Promise<string> {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  return `arn:aws:s3:::${s3.bucket}/${key}`;
}

async function run(buildspecOverride: string, on: LocalCodeBuild = codebuild): Promise<Build> {
  const { build } = await on.startBuild({ projectName: 'plan', buildspecOverride });
  return on.waitForBuild(build!.id!);
}

function phase(build: Build, type: string) {
  return build.phases?.find((candidate) => candidate.phaseType === type);
}

describe('s3BuildspecLocation', () => {
  it('reads bucket and key from an S3 object ARN, in any partition', () => {
    expect(s3BuildspecLocation('arn:aws:s3:::my-bucket/buildspecs/run-1/plan.yml')).toEqual({
      bucket: 'my-bucket',
      key: 'buildspecs/run-1/plan.yml',
    });
    expect(s3BuildspecLocation('arn:aws-cn:s3:::b/k.yml')).toEqual({ bucket: 'b', key: 'k.yml' });
  });

  it('is undefined for inline YAML, a path in the source, a bucket without a key and other ARNs', () => {
    for (const value of [
      'version: 0.2\nphases: {}\n',
      'buildspecs/plan.yml',
      'arn:aws:s3:::bucket-only',
      'arn:aws:s3:::bucket/',
      'arn:aws:iam::123456789012:role/x',
    ]) {
      expect(s3BuildspecLocation(value)).toBeUndefined();
    }
  });
});

describe('a buildspec in S3', { timeout: 60_000 }, () => {
  it('is downloaded and run', async () => {
    const arn = await put(
      'buildspecs/run-1/plan.yml',
      'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "from s3"\n',
    );
    const build = await run(arn);
    expect(build.buildStatus).toBe('SUCCEEDED');
    expect(build.source?.buildspec).toBe(arn);
    expect(codebuild.getLogs(build.id!).split('\n')).toContain('from s3');
  });

  it('that does not exist fails the build in DOWNLOAD_SOURCE with CLIENT_ERROR, naming the object', async () => {
    const arn = `arn:aws:s3:::${s3.bucket}/buildspecs/missing.yml`;
    const build = await run(arn);
    expect(build.buildStatus).toBe('FAILED');
    const download = phase(build, 'DOWNLOAD_SOURCE');
    expect(download?.phaseStatus).toBe('FAILED');
    expect(download?.contexts?.[0]?.statusCode).toBe('CLIENT_ERROR');
    expect(download?.contexts?.[0]?.message).toContain(`failed to download the buildspec ${arn}: NoSuchKey`);
    // Nothing of the buildspec ran.
    expect(phase(build, 'BUILD')).toBeUndefined();
  });

  it('that is not a valid buildspec fails as an inline one does (YAML_FILE_ERROR)', async () => {
    const arn = await put('buildspecs/broken.yml', 'version: 0.1\nphases: {}\n');
    const build = await run(arn);
    expect(build.buildStatus).toBe('FAILED');
    expect(phase(build, 'DOWNLOAD_SOURCE')?.contexts?.[0]).toMatchObject({ statusCode: 'YAML_FILE_ERROR' });
  });

  it('fails the build, with what is missing, when the builds have no local S3', async () => {
    const withoutS3 = createLocalCodeBuild({ projects: { plan: {} }, workRoot: join(root, 'work-no-s3') });
    try {
      const build = await run(`arn:aws:s3:::${s3.bucket}/buildspecs/run-1/plan.yml`, withoutS3);
      expect(build.buildStatus).toBe('FAILED');
      expect(phase(build, 'DOWNLOAD_SOURCE')?.contexts?.[0]).toMatchObject({
        statusCode: 'CLIENT_ERROR',
        message: expect.stringContaining('AWS_ENDPOINT_URL_S3'),
      });
    } finally {
      await withoutS3.close();
    }
  });

  it('leaves inline YAML as it was', async () => {
    const build = await run('version: 0.2\nphases:\n  build:\n    commands:\n      - echo inline\n');
    expect(build.buildStatus).toBe('SUCCEEDED');
    expect(codebuild.getLogs(build.id!).split('\n')).toContain('inline');
  });
});
