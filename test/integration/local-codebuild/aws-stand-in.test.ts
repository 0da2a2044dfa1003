import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCodeBuild, type LocalCodeBuild } from '../../../local/codebuild/create-local-codebuild.ts';
import { startS3, type RunningS3 } from '../../helpers/s3.ts';

let root: string;
let s3: RunningS3;
let codebuild: LocalCodeBuild;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-aws-stand-in-'));
  s3 = await startS3();
  codebuild = createLocalCodeBuild({
    projects: { plan: {} },
    workRoot: join(root, 'work'),
    env: {
      ...s3.env,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    },
  });
});

afterAll(async () => {
  await codebuild.close();
  await s3.stop();
  rmSync(root, { recursive: true, force: true });
});

async function build(commands: string[]) {
  const buildspec = `version: 0.2\nphases:\n  build:\n    commands:\n${commands.map((command) => `      - ${JSON.stringify(command)}`).join('\n')}\n`;
  const { build: started } = await codebuild.startBuild({ projectName: 'plan', buildspecOverride: buildspec });
  const done = await codebuild.waitForBuild(started!.id!);
  return { build: done, logs: codebuild.getLogs(done.id!).split('\n') };
}

describe('the aws stand-in on the PATH of local builds', () => {
  it('copies a file to S3 and back with aws s3 cp', async () => {
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'inputs/vars.json', Body: '{"region":"eu-west-1"}' }),
    );
    const { build: done, logs } = await build([
      'printf plan-bytes > plan.bin',
      `aws s3 cp plan.bin s3://${s3.bucket}/runs/run-1/network/staging/plan.bin`,
      `aws s3 cp s3://${s3.bucket}/inputs/vars.json fetched/vars.json --quiet`,
      'echo "fetched=$(cat fetched/vars.json)"',
      `aws s3 cp s3://${s3.bucket}/runs/run-1/network/staging/plan.bin - | cmp - plan.bin && echo round-trip-ok`,
    ]);
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(logs).toContain(`upload: plan.bin to s3://${s3.bucket}/runs/run-1/network/staging/plan.bin`);
    expect(logs).toContain('fetched={"region":"eu-west-1"}');
    expect(logs).toContain('round-trip-ok');
    const object = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'runs/run-1/network/staging/plan.bin' }),
    );
    expect(await object.Body?.transformToString()).toBe('plan-bytes');
  });

  it('fails clearly for anything but aws s3 cp, and for a missing object', async () => {
    const { build: done, logs } = await build([
      'aws sts get-caller-identity || echo "sts exit=$?"',
      `aws s3 cp s3://${s3.bucket}/does/not/exist.bin here.bin || echo "missing exit=$?"`,
    ]);
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(logs.some((line) => line.includes('implements only "aws s3 cp"'))).toBe(true);
    expect(logs).toContain('sts exit=252');
    expect(logs).toContain('missing exit=1');
  });
});
