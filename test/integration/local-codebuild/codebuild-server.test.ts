import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  InvalidInputException,
  ResourceNotFoundException,
  StartBuildCommand,
  StopBuildCommand,
  type Build,
} from '@aws-sdk/client-codebuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startCodeBuild, type LocalCodeBuildServer } from '../../../local/codebuild/start-codebuild.ts';
import { createGitRepo, eventually } from './fixtures.ts';

/** The credentials the stand-in accepts (the local stack's; made up here) and the client signs with. */
const credentials = createLocalCredentials();

let root: string;
let repo: string;
let sha: string;
let server: LocalCodeBuildServer;
let client: CodeBuildClient;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-codebuild-server-'));
  repo = join(root, 'repo');
  sha = createGitRepo(repo, [{ 'main.tf': '# nothing\n' }])[0]!;
  server = await startCodeBuild({ projects: { 'pushgate-plan': {} }, workRoot: join(root, 'work'), credentials });
  client = new CodeBuildClient({
    endpoint: server.env.AWS_ENDPOINT_URL_CODEBUILD,
    region: 'us-east-1',
    credentials,
  });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

async function waitUntilComplete(id: string): Promise<Build> {
  let build: Build | undefined;
  await eventually(() => build?.buildComplete === true, `${id} is complete`, 20_000);
  return build!;

  async function eventually(check: () => boolean, what: string, limitMs: number) {
    const deadline = Date.now() + limitMs;
    for (;;) {
      build = (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0];
      if (check()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('local CodeBuild endpoint (JSON 1.1) with @aws-sdk/client-codebuild', () => {
  it('StartBuild, then BatchGetBuilds until the build is complete', async () => {
    const started = await client.send(
      new StartBuildCommand({
        projectName: 'pushgate-plan',
        sourceLocationOverride: repo,
        sourceVersion: sha,
        buildspecOverride: 'version: 0.2\nphases:\n  build:\n    commands: [ls, echo "env=$PUSHGATE_ENVIRONMENT"]\n',
        environmentVariablesOverride: [{ name: 'PUSHGATE_ENVIRONMENT', value: 'staging', type: 'PLAINTEXT' }],
      }),
    );
    expect(started.build?.id).toMatch(/^pushgate-plan:/);
    expect(started.build?.arn).toBe(`arn:aws:codebuild:us-east-1:000000000000:build/${started.build?.id}`);
    expect(started.build?.startTime).toBeInstanceOf(Date);
    expect(started.build?.buildStatus).toBe('IN_PROGRESS');

    const build = await waitUntilComplete(started.build!.id!);
    expect(build.buildStatus).toBe('SUCCEEDED');
    expect(build.resolvedSourceVersion).toBe(sha);
    expect(build.endTime).toBeInstanceOf(Date);
    expect(build.endTime!.getTime()).toBeGreaterThanOrEqual(build.startTime!.getTime());
    expect(build.phases?.map((phase) => phase.phaseType)).toEqual([
      'SUBMITTED',
      'QUEUED',
      'PROVISIONING',
      'DOWNLOAD_SOURCE',
      'INSTALL',
      'PRE_BUILD',
      'BUILD',
      'POST_BUILD',
      'UPLOAD_ARTIFACTS',
      'FINALIZING',
      'COMPLETED',
    ]);
    const logs = server.codebuild.getLogs(build.id!).split('\n');
    expect(logs).toContain('main.tf');
    expect(logs).toContain('env=staging');
  });

  it('StopBuild stops a running build', async () => {
    const started = await client.send(
      new StartBuildCommand({
        projectName: 'pushgate-plan',
        buildspecOverride: 'version: 0.2\nphases:\n  build:\n    commands: [echo started, sleep 300]\n',
      }),
    );
    const id = started.build!.id!;
    await waitForLog(id, 'started');
    const stopped = await client.send(new StopBuildCommand({ id }));
    expect(stopped.build?.id).toBe(id);
    expect((await waitUntilComplete(id)).buildStatus).toBe('STOPPED');
  });

  it('answers with the API errors the SDK knows', async () => {
    await expect(client.send(new StartBuildCommand({ projectName: 'unknown-project' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(client.send(new StartBuildCommand({ projectName: '' }))).rejects.toBeInstanceOf(InvalidInputException);
    await expect(client.send(new StopBuildCommand({ id: 'pushgate-plan:missing' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const missing = await client.send(new BatchGetBuildsCommand({ ids: ['pushgate-plan:missing'] }));
    expect(missing.builds).toEqual([]);
    expect(missing.buildsNotFound).toEqual(['pushgate-plan:missing']);
  });
});

async function waitForLog(id: string, line: string): Promise<void> {
  await eventually(() => server.codebuild.getLogs(id).split('\n').includes(line), `${id} printed ${line}`);
}
