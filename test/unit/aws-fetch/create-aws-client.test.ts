import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readVerifiedRequest } from '../../../local/aws/verify-request.ts';
import { AwsCallError } from '../../../functions/lib/runtime/aws-fetch/aws-call-error.ts';
import { awsJson } from '../../../functions/lib/runtime/aws-fetch/aws-json.ts';
import { createAwsClient } from '../../../functions/lib/runtime/aws-fetch/create-aws-client.ts';
import { serviceEndpoint } from '../../../functions/lib/runtime/aws-fetch/service-endpoint.ts';

// The light AWS client against a loopback HTTP server whose answers each test sets. Signatures are
// checked by the local stack's own verifier (local/aws/verify-request.ts, @smithy/signature-v4), the
// one every AWS stand-in of `pushgate dev` uses.

const credentials = {
  accessKeyId: 'LOCALTESTKEY0000001',
  secretAccessKey: 'c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ',
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  refused?: string;
}

type Answer = (response: ServerResponse) => void;
let answers: Answer[] = [];
let seen: Seen[] = [];
let signingName = 'dynamodb';

const server = createServer((request, response) => {
  void (async () => {
    const verified = await readVerifiedRequest(request, { credentials, signingName, service: 'test' }, 1 << 20);
    const entry: Seen = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: 'body' in verified ? verified.body.toString() : '',
    };
    seen.push(entry);
    if ('refused' in verified) {
      entry.refused = verified.refused.reason;
      response
        .writeHead(403, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'InvalidSignatureException', message: verified.refused.message }));
      return;
    }
    const answer = answers.shift();
    if (answer === undefined) {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      return;
    }
    answer(response);
  })();
});
let url: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  answers = [];
  seen = [];
  signingName = 'dynamodb';
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: 'session-token-of-the-role',
    AWS_ENDPOINT_URL_DYNAMODB: url,
    ...extra,
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (response) =>
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...headers }).end(JSON.stringify(body));

describe('createAwsClient', () => {
  it('signs with Signature Version 4 for the service, and sends the operation the action names', async () => {
    answers.push(json(200, { Item: { pk: { S: 'RUN#1' } } }));
    const client = createAwsClient({ env: env() });

    const output = await awsJson(client, 'dynamodb:GetItem', { TableName: 't', Key: { pk: { S: 'RUN#1' } } });

    expect(output).toEqual({ Item: { pk: { S: 'RUN#1' } } });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.refused).toBeUndefined();
    expect(seen[0]!.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(seen[0]!.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(seen[0]!.headers['x-amz-security-token']).toBe('session-token-of-the-role');
    expect(seen[0]!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=LOCALTESTKEY0000001\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=.*x-amz-security-token.*, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(seen[0]!.body)).toEqual({ TableName: 't', Key: { pk: { S: 'RUN#1' } } });
  });

  it('signs for Step Functions as `states`, with X-Amz-Target AWSStepFunctions.<operation>', async () => {
    signingName = 'states';
    const client = createAwsClient({ env: env({ AWS_ENDPOINT_URL_SFN: url }) });
    await awsJson(client, 'states:StartExecution', { name: 'n' });
    expect(seen[0]!.refused).toBeUndefined();
    expect(seen[0]!.headers['x-amz-target']).toBe('AWSStepFunctions.StartExecution');
  });

  it('is refused by the verifier when signed with another secret, and does not retry that', async () => {
    const client = createAwsClient({ env: env({ AWS_SECRET_ACCESS_KEY: 'not-the-stack-secret' }) });
    const error = await awsJson(client, 'dynamodb:PutItem', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: 'InvalidSignatureException', statusCode: 403, action: 'dynamodb:PutItem' });
    expect(seen.map((s) => s.refused)).toEqual(['signature']);
  });

  it('names the error by the AWS code, without the namespace, and does not retry a client error', async () => {
    answers.push(
      json(400, { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'nope' }),
    );
    const client = createAwsClient({ env: env() });
    const error = await awsJson(client, 'dynamodb:PutItem', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'AwsCallError',
      code: 'ConditionalCheckFailedException',
      statusCode: 400,
      message: 'dynamodb:PutItem failed: ConditionalCheckFailedException: nope',
    });
    expect(seen).toHaveLength(1);
  });

  it('reads the code from x-amzn-errortype (REST APIs), dropping its `:<url>` suffix', async () => {
    signingName = 'lambda';
    answers.push(
      json(
        404,
        { Message: 'Function not found' },
        { 'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/' },
      ),
    );
    const client = createAwsClient({ env: env({ AWS_ENDPOINT_URL_LAMBDA: url }) });
    const error = await client
      .send('lambda:InvokeFunction', { path: '/2015-03-31/functions/f/invocations', body: '{}' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ResourceNotFoundException', statusCode: 404 });
    expect((error as Error).message).toContain('Function not found');
  });

  it('retries throttling and 5xx once (two attempts), then gives up with the last error', async () => {
    answers.push(json(400, { __type: 'ThrottlingException' }), json(200, { ok: 1 }));
    const client = createAwsClient({ env: env() });
    expect(await awsJson(client, 'dynamodb:PutItem', {})).toEqual({ ok: 1 });
    expect(seen).toHaveLength(2);

    seen = [];
    answers.push(
      (response) => response.writeHead(503).end('<html>unavailable</html>'),
      json(500, { __type: 'InternalServerError' }),
    );
    const error = await awsJson(client, 'dynamodb:PutItem', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InternalServerError', statusCode: 500 });
    expect(seen).toHaveLength(2);
  });

  it('gives up an attempt that gets no answer (TimeoutError), and retries it', async () => {
    const never: Answer = () => {};
    answers.push(never, never);
    const client = createAwsClient({ env: env(), timeoutMs: 200 });
    const error = await awsJson(client, 'dynamodb:PutItem', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AwsCallError', code: 'TimeoutError' });
    expect((error as Error).cause).toBeDefined();
    expect(seen).toHaveLength(2);
  });

  it('reports a connection that fails as NetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createAwsClient({ env: env({ AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}` }) });
    const error = await awsJson(client, 'dynamodb:PutItem', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AwsCallError', code: 'NetworkError' });
  });

  it('puts neither the secret, the session token nor the signature into an error', async () => {
    answers.push(json(400, { __type: 'ValidationException', message: 'bad' }));
    const client = createAwsClient({ env: env() });
    const error = (await awsJson(client, 'dynamodb:PutItem', { secret: 'x' }).catch((e: unknown) => e)) as AwsCallError;
    const text = JSON.stringify({ ...error, message: error.message, stack: error.stack });
    expect(text).not.toContain(credentials.secretAccessKey);
    expect(text).not.toContain('session-token-of-the-role');
    expect(text).not.toContain('Signature=');
  });

  it('fails without credentials or region, naming what is missing', async () => {
    const client = createAwsClient({ env: { AWS_ENDPOINT_URL_DYNAMODB: url } });
    await expect(awsJson(client, 'dynamodb:GetItem', {})).rejects.toMatchObject({ code: 'ConfigurationError' });
    expect(seen).toHaveLength(0);
  });
});

describe('serviceEndpoint', () => {
  it('takes AWS_ENDPOINT_URL_<SERVICE_ID>, then AWS_ENDPOINT_URL, then the regional endpoint', () => {
    expect(
      serviceEndpoint('states', 'eu-west-1', {
        AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:1/',
        AWS_ENDPOINT_URL: 'http://x',
      }),
    ).toBe('http://127.0.0.1:1');
    expect(serviceEndpoint('secretsmanager', 'eu-west-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:2' })).toBe(
      'http://127.0.0.1:2',
    );
    expect(serviceEndpoint('ssm', 'eu-west-1', {})).toBe('https://ssm.eu-west-1.amazonaws.com');
    expect(
      serviceEndpoint('ssm', 'eu-west-1', {
        AWS_ENDPOINT_URL_SSM: 'http://x',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }),
    ).toBe('https://ssm.eu-west-1.amazonaws.com');
    expect(serviceEndpoint('lambda', 'cn-north-1', {})).toBe('https://lambda.cn-north-1.amazonaws.com.cn');
  });
});
