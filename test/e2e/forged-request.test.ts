import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CodeBuildClient, ListBuildsForProjectCommand } from '@aws-sdk/client-codebuild';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../local/aws/local-credentials.ts';
import { send, signed, type RawRequest } from '../helpers/aws-request.ts';
import type { DevProcess } from '../helpers/dev-process.ts';
import { commandRepo } from './support/command-repo.ts';
import { useDevSession } from './support/dev-session.ts';
import type { Outside } from './support/outside.ts';
import { pushOneRun, workClone } from './support/work-clone.ts';

// Issue 8, finding 8, against `pushgate dev` as a user runs it: a web page (DNS rebinding) or another
// local program asks its CodeBuild to run bash and its Lambda to run a handler. Neither has the
// credentials this start printed, so nothing runs; the printed ones work, for the SDK and for the
// stack's own pushes, builds and handlers.

let dev: DevProcess;
let aws: Outside;
let root: string;
useDevSession('forged', (session) => ({ dev, aws, root } = session));

const region = 'us-east-1';

describe('pushgate dev answers only requests signed with the credentials it printed', () => {
  it('prints random credentials in the --json ready line and its exports', () => {
    const { credentials, exports } = dev.info;
    expect(credentials.accessKeyId).toMatch(/^LOCAL[A-Z0-9]{15}$/);
    expect(credentials.secretAccessKey).toHaveLength(40);
    expect(exports.AWS_ACCESS_KEY_ID).toBe(credentials.accessKeyId);
    expect(exports.AWS_SECRET_ACCESS_KEY).toBe(credentials.secretAccessKey);
  });

  it('the AWS SDK scans the table with them, and gets an error with any others', async () => {
    const endpoint = dev.info.endpoints.dynamodb;
    const printed = new DynamoDBClient({ region, endpoint, credentials: dev.info.credentials });
    await expect(printed.send(new ScanCommand({ TableName: dev.info.tableName }))).resolves.toMatchObject({
      $metadata: { httpStatusCode: 200 },
    });
    printed.destroy();
    for (const credentials of [{ accessKeyId: 'local', secretAccessKey: 'local' }, createLocalCredentials()]) {
      const guessed = new DynamoDBClient({ region, endpoint, credentials, maxAttempts: 1 });
      await expect(guessed.send(new ScanCommand({ TableName: dev.info.tableName }))).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
        $metadata: { httpStatusCode: 403 },
      });
      guessed.destroy();
    }
  });

  it('a forged StartBuild or Invoke gets 403 and runs nothing; a push still deploys', async () => {
    const marker = join(root, 'bash-ran');
    const startBuild: RawRequest = {
      url: dev.info.endpoints.codebuild,
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CodeBuild_20161006.StartBuild' },
      body: JSON.stringify({
        projectName: 'pushgate-local-apply',
        buildspecOverride: `version: 0.2\nphases:\n  build:\n    commands:\n      - touch ${JSON.stringify(marker)}\n`,
      }),
    };
    const invoke: RawRequest = {
      url: `${dev.info.endpoints.lambda}/2015-03-31/functions/pushgate-local-executionEnded/invocations`,
      method: 'POST',
      body: '{}',
    };
    const forgeries = async (request: RawRequest, service: string) => [
      request,
      await signed(request, { credentials: createLocalCredentials(), service }),
      // DNS rebinding: even with the right signature, the browser says `Host: <the attacker's name>`.
      await signed({ ...request, host: 'rebound.evil.example' }, { credentials: dev.info.credentials, service }),
    ];
    for (const forged of [...(await forgeries(startBuild, 'codebuild')), ...(await forgeries(invoke, 'lambda'))]) {
      const response = await send(forged);
      expect(response.status, response.body).toBe(403);
    }

    const codebuild = new CodeBuildClient({
      region,
      endpoint: dev.info.endpoints.codebuild,
      credentials: dev.info.credentials,
    });
    for (const projectName of ['pushgate-local-plan', 'pushgate-local-apply']) {
      const { ids } = await codebuild.send(new ListBuildsForProjectCommand({ projectName }));
      expect(ids ?? []).toEqual([]);
    }
    expect(existsSync(marker)).toBe(false);

    // The stack's own callers sign with its credentials: the webhook handler, Step Functions' Lambda
    // and DynamoDB tasks, and the builds' artifact uploads and downloads.
    const repo = await workClone(join(root, 'work'), dev.info.remote);
    await repo.commit(commandRepo('main', { environments: ['staging'] }), 'v1');
    const run = await aws.finished(await pushOneRun(repo, 'main'));
    expect(run.run.status, run.run.reason).toBe('succeeded');
    const { ids } = await codebuild.send(new ListBuildsForProjectCommand({ projectName: 'pushgate-local-apply' }));
    expect(ids).toHaveLength(1);
    codebuild.destroy();
  }, 60_000);
});
