import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../functions/lib/runtime/aws-fetch/create-aws-client.ts';
import {
  CommandInvokeError,
  createFetchCommandInvoker,
} from '../../../functions/lib/runtime/aws-fetch/lambda-command-invoker-fetch.ts';
import type { CommandRequest } from '../../../functions/lib/commands/command-request.ts';
import { readVerifiedRequest } from '../../../local/aws/verify-request.ts';

// The comment-command hand-over over the light client, against a loopback Lambda API that checks
// the request's signature (for `lambda`) as the local stack's Lambda does.
const credentials = { accessKeyId: 'LOCALLAMBDATEST0001', secretAccessKey: 'bGFtYmRhLXRlc3Qtc2VjcmV0LWZvci10aGlz' };
const seen: { url: string; type: unknown; body: unknown }[] = [];
let status = 202;

const server = createServer((request, response) => {
  void (async () => {
    const verified = await readVerifiedRequest(
      request,
      { credentials, signingName: 'lambda', service: 'Lambda' },
      1 << 16,
    );
    if (!('body' in verified)) {
      response.writeHead(403, { 'x-amzn-errortype': 'InvalidSignatureException' }).end('{}');
      return;
    }
    seen.push({
      url: request.url ?? '',
      type: request.headers['x-amz-invocation-type'],
      body: JSON.parse(verified.body.toString()),
    });
    response.writeHead(status).end();
  })();
});
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
  status = 202;
});

const request = { command: 'help', deliveryId: 'd-1', commandId: 'c-1' } as unknown as CommandRequest;

describe('createFetchCommandInvoker', () => {
  it('queues the command with an Event invoke of the function, by name or ARN', async () => {
    const client = createAwsClient({ env });
    await createFetchCommandInvoker({ functionName: 'pushgate-commands', client }).invoke(request);
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:pushgate-commands';
    await createFetchCommandInvoker({ functionName: arn, client }).invoke(request);
    expect(seen).toEqual([
      { url: '/2015-03-31/functions/pushgate-commands/invocations', type: 'Event', body: request },
      { url: `/2015-03-31/functions/${encodeURIComponent(arn)}/invocations`, type: 'Event', body: request },
    ]);
  });

  it('fails when Lambda answers but does not queue (not 202)', async () => {
    status = 200;
    const invoker = createFetchCommandInvoker({ functionName: 'pushgate-commands', client: createAwsClient({ env }) });
    await expect(invoker.invoke(request)).rejects.toBeInstanceOf(CommandInvokeError);
  });

  it('fails with the AWS code when the call is refused', async () => {
    const client = createAwsClient({ env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' } });
    const invoker = createFetchCommandInvoker({ functionName: 'pushgate-commands', client });
    await expect(invoker.invoke(request)).rejects.toMatchObject({
      name: 'AwsCallError',
      code: 'InvalidSignatureException',
    });
    expect(seen).toHaveLength(0);
  });
});
