import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopApplyBuilds } from '../../../functions/lib/run/stop-apply-builds.ts';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startCodeBuild, type LocalCodeBuildServer } from '../../../local/codebuild/start-codebuild.ts';
import { createGitRepo } from '../local-codebuild/fixtures.ts';

/** The credentials the stand-in accepts (the local stack's; made up here) and the client signs with. */
const credentials = createLocalCredentials();

// Against the local CodeBuild endpoint with the real SDK client: a run's apply is stopped, and waited
// for, before its locks may be released; other runs' builds are left alone.
let root: string;
let server: LocalCodeBuildServer;
let client: CodeBuildClient;
let sha: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pushgate-stop-apply-'));
  [sha] = createGitRepo(join(root, 'repo'), [{ 'README.md': 'x\n' }]) as [string];
  server = await startCodeBuild({ projects: { 'pushgate-test-apply': {} }, workRoot: join(root, 'work'), credentials });
  client = new CodeBuildClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials,
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function slowApply(runId: string): Promise<string> {
  const { build } = await client.send(
    new StartBuildCommand({
      projectName: 'pushgate-test-apply',
      sourceLocationOverride: join(root, 'repo'),
      sourceVersion: sha,
      buildspecOverride: 'version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n',
      environmentVariablesOverride: [{ name: 'PUSHGATE_RUN_ID', value: runId, type: 'PLAINTEXT' }],
    }),
  );
  return build!.id!;
}

async function status(id: string): Promise<string | undefined> {
  const { builds = [] } = await client.send(new BatchGetBuildsCommand({ ids: [id] }));
  return builds[0]?.buildStatus;
}

describe('stopApplyBuilds', () => {
  it("stops the run's apply build and returns only once it has ended; another run's build goes on", async () => {
    const mine = await slowApply('run-1');
    const theirs = await slowApply('run-2');
    const result = await stopApplyBuilds({
      codebuild: client,
      projectName: 'pushgate-test-apply',
      runId: 'run-1',
      pollMs: 50,
    });
    expect(result.stopped).toEqual([mine]);
    expect(await status(mine)).toBe('STOPPED');
    expect(await status(theirs)).toBe('IN_PROGRESS');
    expect(await stopApplyBuilds({ codebuild: client, projectName: 'pushgate-test-apply', runId: 'run-3' })).toEqual({
      stopped: [],
    });
    await stopApplyBuilds({ codebuild: client, projectName: 'pushgate-test-apply', runId: 'run-2', pollMs: 50 });
  });

  it('fails when a stopped build does not end in time, so the locks stay held', async () => {
    await slowApply('run-4');
    const stuck = {
      send: async (command: unknown) => {
        // StopBuild is swallowed, as if CodeBuild had not acted on it yet.
        if ((command as { constructor: { name: string } }).constructor.name === 'StopBuildCommand') return {};
        return client.send(command as never);
      },
    };
    await expect(
      stopApplyBuilds({
        codebuild: stuck,
        projectName: 'pushgate-test-apply',
        runId: 'run-4',
        timeoutMs: 200,
        pollMs: 50,
      }),
    ).rejects.toMatchObject({ name: 'ApplyStillRunningError' });
    await stopApplyBuilds({ codebuild: client, projectName: 'pushgate-test-apply', runId: 'run-4', pollMs: 50 });
  });
});
