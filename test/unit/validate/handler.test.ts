import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import { LOCAL_POLICY } from '../../../local/local-policy.ts';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { TargetChunk, type RunRequest, type StagedRun } from '../../../functions/lib/workflow/contract.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { startS3, type RunningS3 } from '../../helpers/s3.ts';

/**
 * The Lambda handler as deployed, configured only through its environment: DynamoDB is dynalite
 * (AWS_ENDPOINT_URL_DYNAMODB), S3 the local S3 (one bucket for chunks, the same for buildspecs here),
 * GitHub a loopback server answering the two routes Validate calls.
 */
const HEAD = 'a'.repeat(40);
const BEFORE = 'b'.repeat(40);
const TOKEN = 'ghs_handler-token-never-logged';
const config = readFileSync(new URL('../../fixtures/configs/valid.yml', import.meta.url), 'utf8');

let dynalite: RunningDynalite;
let github: Server;
let store: Store;
let s3: RunningS3;
let handler: (event: unknown) => Promise<StagedRun>;
const authorizations: (string | undefined)[] = [];

function route(request: IncomingMessage, response: ServerResponse) {
  authorizations.push(request.headers.authorization);
  const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  if (path === '/repos/acme/infra/contents/pushgate.yml') {
    response.writeHead(200, { 'content-type': 'application/vnd.github.raw; charset=utf-8' });
    return response.end(config);
  }
  if (path === `/repos/acme/infra/compare/${BEFORE}...${HEAD}`) {
    response.writeHead(200, { 'content-type': 'application/json' });
    return response.end(JSON.stringify({ status: 'ahead', files: [{ filename: 'dns/zone', status: 'modified' }] }));
  }
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message: 'Not Found' }));
}

beforeAll(async () => {
  dynalite = await startDynalite();
  const tableName = await createTestTable(dynalite.client);
  store = createDynamoStore({ tableName, client: dynalite.client });
  s3 = await startS3();
  github = createServer(route);
  await new Promise<void>((resolve) => github.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    ...s3.env,
    ARTIFACT_BUCKET: s3.bucket,
    BUILDSPEC_BUCKET: s3.bucket,
    PUSHGATE_LOCAL: '1',
    PUSHGATE_POLICY: LOCAL_POLICY,
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
    GITHUB_CLONE_URL: 'http://127.0.0.1:9/git',
  });
  ({ handler } = await import('../../../functions/validate/handler.ts'));
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => github.close((error) => (error ? reject(error) : resolve())));
  await dynalite.stop();
  await s3.stop();
});

describe('validate handler', () => {
  it('validates a run end to end and logs it without the token', async () => {
    const run: RunRequest = {
      runId: 'handler-run',
      deliveryId: 'delivery-9',
      kind: 'push',
      repo: 'acme/infra',
      ref: 'refs/heads/main',
      branch: 'main',
      defaultBranch: 'main',
      sha: HEAD,
      before: BEFORE,
      actor: 'octocat',
      receivedAt: '2025-01-01T00:00:00.000Z',
    };
    await store.createRun({ ...run, pullRequest: undefined });
    const output = vi.spyOn(process.stdout, 'write');
    try {
      const result = await handler(run);
      expect(result.settings.sourceLocation).toBe('http://127.0.0.1:9/git/acme/infra.git');
      // Nothing is deployed yet, so every target of the config is planned. The state carries chunk
      // references; the targets are in S3, their buildspecs S3 objects of their own.
      const chunks = result.waves.flatMap((wave) => wave.chunks);
      expect(chunks.length).toBeGreaterThan(0);
      const read = async (key: string) =>
        (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();
      const targets = (
        await Promise.all(chunks.map(async (chunk) => TargetChunk.parse(JSON.parse(await read(chunk.key))).targets))
      ).flat();
      expect(targets.map((target) => `${target.project}/${target.environment}`)).toContain('dns/prod');
      const buildspec = targets[0]!.buildspec.plan;
      expect(buildspec).toMatch(new RegExp(`^arn:aws:s3:::${s3.bucket}/buildspecs/[0-9a-f]{64}\\.yml$`));
      expect(await read(buildspec.split(`${s3.bucket}/`)[1]!)).toContain('phases:');
      expect((await store.getRun('handler-run'))?.status).toBe('running');
      // The branch head, then pushgate.yml, then the pending statuses (answered 404 by this server,
      // which only fails the feedback, never the run): every GitHub call with the configured token.
      expect(authorizations.length).toBeGreaterThanOrEqual(3);
      expect(new Set(authorizations)).toEqual(new Set([`token ${TOKEN}`]));
      const logs = output.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(logs).toContain('"runId":"handler-run"');
      expect(logs).not.toContain(TOKEN);
    } finally {
      output.mockRestore();
    }
  });

  it('rejects an input that is not a RunRequest with a named error', async () => {
    await expect(handler({ runId: 'x', kind: 'push' })).rejects.toMatchObject({
      name: 'StepInputError',
      message: expect.stringContaining('Validate received an input it cannot use'),
    });
  });

  it('fails with InvalidConfigError when the commit has no pushgate.yml', async () => {
    const run = {
      runId: 'handler-missing',
      deliveryId: 'delivery-10',
      kind: 'plan',
      repo: 'acme/other',
      ref: 'refs/heads/main',
      branch: 'main',
      defaultBranch: 'main',
      sha: HEAD,
      actor: 'schedule',
      receivedAt: '2025-01-01T00:00:00.000Z',
    };
    await expect(handler(run)).rejects.toMatchObject({
      name: 'InvalidConfigError',
      message: 'no pushgate.yml at aaaaaaa: add one at the repository root',
    });
  });
});
