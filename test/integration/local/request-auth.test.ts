import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGateway, type LocalApiGateway } from '../../../local/api-gateway/start-api-gateway.ts';
import { createLocalCredentials, type LocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startCodeBuild, type LocalCodeBuildServer } from '../../../local/codebuild/start-codebuild.ts';
import { startDynamoDB, type LocalDynamoDB } from '../../../local/dynamodb/start-dynamodb.ts';
import { startGitHub } from '../../../local/github/start-github.ts';
import { startLambda, type LocalLambda } from '../../../local/lambda/start-lambda.ts';
import { startS3, type LocalS3 } from '../../../local/s3/start-s3.ts';
import { startSlack, type LocalSlack } from '../../../local/slack/start-slack.ts';
import { send, signed, type RawRequest, type RawResponse } from '../../helpers/aws-request.ts';

// Issue 8, finding 8: the local CodeBuild runs bash and the local Lambda runs handlers for whoever asks,
// and a web page can ask: through DNS rebinding its own name resolves to 127.0.0.1 (the browser then
// sends `Host: evil.example`). The attacks come first: each forged request gets a 403 in the service's
// own error format and starts nothing; then the stack's credentials, and only they, work.

const region = 'us-east-1';
const credentials = createLocalCredentials();
const other = createLocalCredentials();
const TABLE = 'pushgate-auth-test';
const BUCKET = 'pushgate-auth-artifacts';
const PLAN = 'runs/01H/network/staging/plan.json';
const PLAN_TEXT = '{"resource_changes":[{"change":{"after":{"password":"hunter2"}}}]}';
const FUNCTION = 'pushgate-local-webhook';

let root: string;
let marker: string;
let codebuild: LocalCodeBuildServer;
let lambda: LocalLambda;
let dynamodb: LocalDynamoDB;
let s3: LocalS3;
let handlerCalls = 0;

/** A buildspec that leaves a trace: the proof that bash ran. */
const buildspec = () =>
  `version: 0.2\nphases:\n  build:\n    commands:\n      - echo pwned >> ${JSON.stringify(marker)}\n`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pushgate-request-auth-'));
  marker = join(root, 'bash-ran');
  codebuild = await startCodeBuild({
    credentials,
    projects: { 'pushgate-local-plan': {} },
    workRoot: join(root, 'work'),
  });
  lambda = await startLambda({
    credentials,
    handlers: {
      [FUNCTION]: async () => {
        handlerCalls += 1;
        return { ran: true };
      },
    },
  });
  dynamodb = await startDynamoDB({ tableName: TABLE, credentials });
  s3 = await startS3({ bucket: BUCKET, credentials });
  const dynamo = new DynamoDBClient({ region, endpoint: dynamodb.url, credentials });
  await dynamo.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { pk: { S: 'RUN#1' }, sk: { S: 'RUN' }, token: { S: 'task-token-1' } },
    }),
  );
  dynamo.destroy();
  const client = s3Client(credentials);
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: PLAN, Body: PLAN_TEXT }));
  client.destroy();
});

afterAll(async () => {
  await codebuild?.stop();
  await lambda?.stop();
  await dynamodb?.stop();
  await s3?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

function s3Client(creds: LocalCredentials): S3Client {
  return new S3Client({ ...s3.clientConfig, region, credentials: creds, maxAttempts: 1 });
}

/** The error code of an answer: `__type` (JSON 1.0/1.1), `x-amzn-ErrorType` (REST-JSON) or `<Code>` (S3 XML). */
function errorCode(response: RawResponse): string | undefined {
  const header = response.headers['x-amzn-errortype'];
  if (typeof header === 'string') return header.split(':')[0];
  const xml = /<Code>([^<]+)<\/Code>/.exec(response.body);
  if (xml) return xml[1];
  try {
    return String((JSON.parse(response.body) as { __type?: string }).__type)
      .split('#')
      .pop();
  } catch {
    return undefined;
  }
}

type Forgery = 'unsigned' | 'other credentials' | 'wrong secret' | 'rebound host' | 'tampered' | 'stale';
const FORGERIES: Forgery[] = ['unsigned', 'other credentials', 'wrong secret', 'rebound host', 'tampered', 'stale'];

/**
 * The request an attacker can send: none signed with the stack's secret, or signed but addressed to
 * the attacker's own host name (DNS rebinding), changed after signing, or signed long ago.
 */
async function forge(
  kind: Forgery,
  request: RawRequest,
  service: string,
  tamper: (request: RawRequest, service: string) => Promise<RawRequest>,
): Promise<RawRequest> {
  switch (kind) {
    case 'unsigned':
      return request;
    case 'other credentials':
      return signed(request, { credentials: other, service });
    case 'wrong secret':
      return signed(request, {
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: other.secretAccessKey },
        service,
      });
    case 'rebound host':
      return signed({ ...request, host: 'evil.example' }, { credentials, service });
    case 'tampered':
      return tamper(request, service);
    case 'stale':
      return signed(request, { credentials, service, signingDate: new Date(Date.now() - 20 * 60_000) });
  }
}

const JSON_ERRORS: Record<Forgery, string> = {
  unsigned: 'MissingAuthenticationTokenException',
  'other credentials': 'UnrecognizedClientException',
  'wrong secret': 'InvalidSignatureException',
  'rebound host': 'AccessDeniedException',
  tampered: 'InvalidSignatureException',
  stale: 'InvalidSignatureException',
};
const S3_ERRORS: Record<Forgery, string> = {
  unsigned: 'AccessDenied',
  'other credentials': 'InvalidAccessKeyId',
  'wrong secret': 'SignatureDoesNotMatch',
  'rebound host': 'AccessDenied',
  tampered: 'SignatureDoesNotMatch',
  stale: 'RequestTimeTooSkewed',
};

const startBuild = (): RawRequest => ({
  url: codebuild.url,
  method: 'POST',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CodeBuild_20161006.StartBuild' },
  body: JSON.stringify({ projectName: 'pushgate-local-plan', buildspecOverride: buildspec() }),
});
const invoke = (): RawRequest => ({
  url: `${lambda.url}/2015-03-31/functions/${FUNCTION}/invocations`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"body":"x"}',
});
const scan = (): RawRequest => ({
  url: dynamodb.url,
  method: 'POST',
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.Scan' },
  body: JSON.stringify({ TableName: TABLE }),
});
const getObject = (): RawRequest => ({
  url: `${s3.url}/${BUCKET}/${PLAN}`,
  method: 'GET',
  headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
});
/** Another body after signing (signed without the hash header: the signature itself must cover the body). */
const withBody = (body: string) => (request: RawRequest, service: string) =>
  signed(request, { credentials, service, applyChecksum: false }).then((signedRequest) => ({ ...signedRequest, body }));

describe('forged requests to the local AWS services get 403 and start nothing', () => {
  it.each(FORGERIES)('CodeBuild StartBuild, %s: no build, no bash', async (kind) => {
    const evil = JSON.stringify({ projectName: 'pushgate-local-plan', buildspecOverride: `${buildspec()}# changed` });
    const response = await send(await forge(kind, startBuild(), 'codebuild', withBody(evil)));
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe(JSON_ERRORS[kind]);
    expect(response.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect((JSON.parse(response.body) as { message: string }).message).toMatch(/local CodeBuild|signature/);
    const builds = await codebuild.codebuild.listBuildsForProject({ projectName: 'pushgate-local-plan' });
    expect(builds.ids).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });

  it.each(FORGERIES)('Lambda Invoke, %s: the handler is not called', async (kind) => {
    const response = await send(await forge(kind, invoke(), 'lambda', withBody('{"body":"changed"}')));
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe(JSON_ERRORS[kind]);
    expect(response.headers['x-amz-function-error']).toBeUndefined();
    expect(handlerCalls).toBe(0);
    expect(lambda.invocations).toEqual([]);
  });

  it.each(FORGERIES)('DynamoDB Scan, %s: no item is read', async (kind) => {
    const response = await send(
      await forge(kind, scan(), 'dynamodb', withBody(JSON.stringify({ TableName: TABLE, Limit: 1 }))),
    );
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe(JSON_ERRORS[kind]);
    expect(response.body).not.toContain('task-token-1');
  });

  it.each(FORGERIES)('S3 GetObject, %s: the plan is not read', async (kind) => {
    // Tampering with a GET is asking for another object than the one signed for.
    const otherKey = async (request: RawRequest) => {
      const signedRequest = await signed(request, { credentials, service: 's3' });
      return { ...signedRequest, url: signedRequest.url.replace('plan.json', 'plan.bin') };
    };
    const response = await send(await forge(kind, getObject(), 's3', otherKey));
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe(S3_ERRORS[kind]);
    expect(response.headers['content-type']).toBe('application/xml');
    expect(response.body).not.toContain('hunter2');
  });

  it('a body changed after signing is refused also when the signed hash header comes along', async () => {
    const request = await signed(invoke(), { credentials, service: 'lambda' });
    expect(request.headers?.['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    const response = await send({ ...request, body: '{"body":"changed"}' });
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe('InvalidSignatureException');
    expect(JSON.parse(response.body)).toMatchObject({ message: expect.stringContaining('x-amz-content-sha256') });
    expect(handlerCalls).toBe(0);
  });

  it('says why a rebound host is refused, in each format', async () => {
    const rebound = (request: RawRequest, service: string) => forge('rebound host', request, service, async (r) => r);
    const answers = [
      await send(await rebound(startBuild(), 'codebuild')),
      await send(await rebound(invoke(), 'lambda')),
      await send(await rebound(scan(), 'dynamodb')),
      await send(await rebound(getObject(), 's3')),
    ];
    for (const answer of answers) {
      expect(answer.body).toContain('Host: evil.example');
      expect(answer.body).toMatch(/127\.0\.0\.1, localhost or \[::1\]/);
    }
  });

  it('a forged SDK call reads as an AWS error: another key, another secret', async () => {
    const otherDynamo = new DynamoDBClient({ region, endpoint: dynamodb.url, credentials: other, maxAttempts: 1 });
    await expect(otherDynamo.send(new ScanCommand({ TableName: TABLE }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
    otherDynamo.destroy();
    const wrongSecret = { accessKeyId: credentials.accessKeyId, secretAccessKey: other.secretAccessKey };
    const lambdaClient = new LambdaClient({ region, endpoint: lambda.url, credentials: wrongSecret, maxAttempts: 1 });
    await expect(lambdaClient.send(new InvokeCommand({ FunctionName: FUNCTION }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    lambdaClient.destroy();
    const codebuildClient = new CodeBuildClient({
      region,
      endpoint: codebuild.url,
      credentials: other,
      maxAttempts: 1,
    });
    await expect(
      codebuildClient.send(
        new StartBuildCommand({ projectName: 'pushgate-local-plan', buildspecOverride: buildspec() }),
      ),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    codebuildClient.destroy();
    const otherS3 = s3Client(other);
    await expect(otherS3.send(new GetObjectCommand({ Bucket: BUCKET, Key: PLAN }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    otherS3.destroy();
    expect(handlerCalls).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('requests signed with the stack credentials work', () => {
  it('the same raw requests, signed and addressed to a loopback host (any of its names), are answered', async () => {
    const scanned = await send(await signed(scan(), { credentials, service: 'dynamodb' }));
    expect(scanned.status).toBe(200);
    expect(scanned.body).toContain('task-token-1');
    for (const host of [
      `localhost:${new URL(dynamodb.url).port}`,
      `[::1]:${new URL(dynamodb.url).port}`,
      'LOCALHOST',
    ]) {
      const answer = await send(await signed({ ...scan(), host }, { credentials, service: 'dynamodb' }));
      expect(answer.status, host).toBe(200);
    }
    const got = await send(await signed(getObject(), { credentials, service: 's3' }));
    expect(got.status).toBe(200);
    expect(got.body).toBe(PLAN_TEXT);
  });

  it('the AWS SDK with the stack credentials: StartBuild runs the build, Invoke the handler, Scan and GetObject read', async () => {
    const codebuildClient = new CodeBuildClient({ region, endpoint: codebuild.url, credentials });
    const { build } = await codebuildClient.send(
      new StartBuildCommand({ projectName: 'pushgate-local-plan', buildspecOverride: buildspec() }),
    );
    const done = await codebuild.codebuild.waitForBuild(build!.id!);
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(await readFile(marker, 'utf8')).toBe('pwned\n');
    codebuildClient.destroy();

    const lambdaClient = new LambdaClient({ region, endpoint: lambda.url, credentials });
    const out = await lambdaClient.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: '{}' }));
    expect(JSON.parse(Buffer.from(out.Payload!).toString('utf8'))).toEqual({ ran: true });
    expect(handlerCalls).toBe(1);
    lambdaClient.destroy();

    const dynamo = new DynamoDBClient({ region, endpoint: dynamodb.url, credentials });
    const { Items } = await dynamo.send(new ScanCommand({ TableName: TABLE }));
    expect(Items?.map((item) => item.token?.S)).toEqual(['task-token-1']);
    dynamo.destroy();

    const client = s3Client(credentials);
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: PLAN }));
    expect(await object.Body!.transformToString()).toBe(PLAN_TEXT);
    client.destroy();
  });

  it('an S3 body that is not the one signed for is refused (x-amz-content-sha256)', async () => {
    const put = await signed(
      { url: `${s3.url}/${BUCKET}/swapped.txt`, method: 'PUT', body: 'signed body' },
      { credentials, service: 's3' },
    );
    const response = await send({ ...put, body: 'other body!' });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe('XAmzContentSHA256Mismatch');
    const client = s3Client(credentials);
    await expect(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'swapped.txt' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    client.destroy();
  });
});

describe('presigned S3 URLs (what builds get for their artifacts)', () => {
  const presign = (
    creds: LocalCredentials,
    command: GetObjectCommand | PutObjectCommand,
    options: { expiresIn: number; signingDate?: Date } = { expiresIn: 300 },
  ) => {
    const client = s3Client(creds);
    return getSignedUrl(client, command, options).finally(() => client.destroy());
  };

  it('a presigned GET and PUT work with plain fetch', async () => {
    const put = await presign(credentials, new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/02H/plan.bin' }));
    const uploaded = await fetch(put, { method: 'PUT', body: 'the plan' });
    expect(uploaded.status).toBe(200);
    const get = await presign(credentials, new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/02H/plan.bin' }));
    const downloaded = await fetch(get);
    expect(downloaded.status).toBe(200);
    expect(await downloaded.text()).toBe('the plan');
  });

  it('an expired, tampered, foreign or rebound presigned URL gets 403', async () => {
    const get = new GetObjectCommand({ Bucket: BUCKET, Key: PLAN });
    const expired = await presign(credentials, get, {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 5 * 60_000),
    });
    const valid = await presign(credentials, get);
    const otherKey = valid.replace('plan.json', 'plan.bin');
    const longer = valid.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604800');
    const foreign = await presign(other, get);
    const cases: [string, string, string][] = [
      ['expired', expired, 'AccessDenied'],
      ['another object', otherKey, 'SignatureDoesNotMatch'],
      ['a longer expiry', longer, 'SignatureDoesNotMatch'],
      ['other credentials', foreign, 'InvalidAccessKeyId'],
    ];
    for (const [what, url, code] of cases) {
      const response = await fetch(url);
      const body = await response.text();
      expect({ what, status: response.status, code: /<Code>([^<]+)</.exec(body)?.[1] }).toEqual({
        what,
        status: 403,
        code,
      });
      expect(body).not.toContain('hunter2');
    }
    const rebound = await send({ url: valid, host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect(errorCode(rebound)).toBe('AccessDenied');

    const put = await presign(credentials, new PutObjectCommand({ Bucket: BUCKET, Key: PLAN }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 5 * 60_000),
    });
    expect((await fetch(put, { method: 'PUT', body: 'overwritten' })).status).toBe(403);
    expect(await (await fetch(valid)).text()).toBe(PLAN_TEXT);
  });
});

describe('GitHub, Slack and API Gateway answer loopback hosts only', () => {
  let github: Awaited<ReturnType<typeof startGitHub>>;
  let slack: LocalSlack;
  let api: LocalApiGateway;
  let webhookCalls = 0;

  beforeAll(async () => {
    github = await startGitHub({ repos: {}, token: 'ghs_local' });
    slack = await startSlack();
    api = await startApiGateway({
      routes: {
        '/webhooks/github': async () => {
          webhookCalls += 1;
          return { statusCode: 202, body: '{}' };
        },
      },
    });
  });
  afterAll(async () => {
    await github?.stop();
    await slack?.stop();
    await api?.stop();
  });

  it('refuses a rebound host with 403 and lets loopback through', async () => {
    const githubRequest = { url: `${github.url}/repos/local/infra`, headers: { authorization: 'token ghs_local' } };
    const rebound = await send({ ...githubRequest, host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect((JSON.parse(rebound.body) as { message: string }).message).toContain('Host: evil.example');
    expect((await send(githubRequest)).status).toBe(404); // no such repository: past the host check

    const message = {
      url: slack.webhookUrl,
      method: 'POST',
      body: '{"text":"hi"}',
      headers: { 'content-type': 'application/json' },
    };
    expect((await send({ ...message, host: 'evil.example' })).status).toBe(403);
    expect(
      (await send({ url: `${slack.url}/_pushgate/down`, method: 'POST', body: '{"down":true}', host: 'evil.example' }))
        .status,
    ).toBe(403);
    expect(slack.messages).toEqual([]);
    expect((await send(message)).status).toBe(200);
    expect(slack.messages).toHaveLength(1);

    const delivery = { url: `${api.url}/webhooks/github`, method: 'POST', body: '{}' };
    expect((await send({ ...delivery, host: 'evil.example' })).status).toBe(403);
    expect(webhookCalls).toBe(0);
    expect((await send({ ...delivery, host: `localhost:${new URL(api.url).port}` })).status).toBe(202);
    expect(webhookCalls).toBe(1);
  });
});
