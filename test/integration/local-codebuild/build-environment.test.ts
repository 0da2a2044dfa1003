import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  InvalidInputException,
  StartBuildCommand,
  type StartBuildCommandInput,
} from '@aws-sdk/client-codebuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startCodeBuild, type LocalCodeBuildServer } from '../../../local/codebuild/start-codebuild.ts';

const credentials = createLocalCredentials();
const BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands: [echo ran]\n';

let root: string;
let server: LocalCodeBuildServer;
let client: CodeBuildClient;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-codebuild-env-'));
  server = await startCodeBuild({ projects: { 'pushgate-plan': {} }, workRoot: join(root, 'work'), credentials });
  client = new CodeBuildClient({ endpoint: server.env.AWS_ENDPOINT_URL_CODEBUILD, region: 'us-east-1', credentials });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const start = (input: Omit<StartBuildCommandInput, 'projectName'>) =>
  client.send(new StartBuildCommand({ projectName: 'pushgate-plan', buildspecOverride: BUILDSPEC, ...input }));

async function finished(id: string) {
  await server.codebuild.waitForBuild(id);
  return (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds![0]!;
}

describe('the local CodeBuild and StartBuild environment overrides', () => {
  it("a build without overrides records the project's environment: infra/codebuild.yml's EC2 small", async () => {
    const build = await finished((await start({})).build!.id!);
    expect(build.environment).toMatchObject({
      type: 'ARM_CONTAINER',
      computeType: 'BUILD_GENERAL1_SMALL',
      image: 'aws/codebuild/amazonlinux-aarch64-standard:3.0',
    });
    expect(build).toMatchObject({ timeoutInMinutes: 60, queuedTimeoutInMinutes: 480 });
  });

  it('a build on Lambda compute records its overrides and the 15-minute limit, and runs as any other', async () => {
    const started = await start({
      environmentTypeOverride: 'ARM_LAMBDA_CONTAINER',
      computeTypeOverride: 'BUILD_LAMBDA_2GB',
      imageOverride: 'aws/codebuild/amazonlinux-aarch64-lambda-standard:nodejs22',
    });
    const build = await finished(started.build!.id!);
    expect(build.buildStatus).toBe('SUCCEEDED');
    expect(build.environment).toMatchObject({
      type: 'ARM_LAMBDA_CONTAINER',
      computeType: 'BUILD_LAMBDA_2GB',
      image: 'aws/codebuild/amazonlinux-aarch64-lambda-standard:nodejs22',
    });
    expect(build.timeoutInMinutes).toBe(15);
    expect(build.queuedTimeoutInMinutes).toBeUndefined();
    expect(server.codebuild.getLogs(build.id!).split('\n')).toContain('ran');
  });

  it('refuses what CodeBuild refuses, with InvalidInputException and no build', async () => {
    const refusals: [Omit<StartBuildCommandInput, 'projectName'>, RegExp][] = [
      [
        { environmentTypeOverride: 'ARM_FUNCTION' as never },
        /Value 'ARM_FUNCTION' at 'environmentTypeOverride' failed to satisfy constraint: Member must satisfy enum value set: \[.*ARM_LAMBDA_CONTAINER/,
      ],
      [{ computeTypeOverride: 'BUILD_LAMBDA_3GB' as never }, /Value 'BUILD_LAMBDA_3GB' at 'computeTypeOverride'/],
      [
        { environmentTypeOverride: 'ARM_LAMBDA_CONTAINER' },
        /Invalid compute type BUILD_GENERAL1_SMALL for environment type ARM_LAMBDA_CONTAINER/,
      ],
      [
        { computeTypeOverride: 'BUILD_LAMBDA_1GB' },
        /Invalid compute type BUILD_LAMBDA_1GB for environment type ARM_CONTAINER/,
      ],
      [{ imageOverride: ' ' }, /imageOverride/],
      [
        {
          environmentTypeOverride: 'ARM_LAMBDA_CONTAINER',
          computeTypeOverride: 'BUILD_LAMBDA_1GB',
          timeoutInMinutesOverride: 30,
        },
        /Cannot specify timeoutInMinutesOverride for lambda compute/,
      ],
    ];
    const before = (await server.codebuild.listBuildsForProject({ projectName: 'pushgate-plan' })).ids?.length;
    for (const [input, message] of refusals) {
      const refused = start(input);
      await expect(refused).rejects.toBeInstanceOf(InvalidInputException);
      await expect(refused).rejects.toThrow(message);
    }
    expect((await server.codebuild.listBuildsForProject({ projectName: 'pushgate-plan' })).ids?.length).toBe(before);
  });
});
