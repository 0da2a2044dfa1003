import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConfiguredSecretReader } from '../../../functions/lib/runtime/aws-fetch/configured-secret-fetch.ts';
import { createAwsClient } from '../../../functions/lib/runtime/aws-fetch/create-aws-client.ts';
import { SecretConfigError } from '../../../functions/lib/secrets.ts';
import { readVerifiedRequest } from '../../../local/aws/verify-request.ts';

// The webhook's secret reader against a loopback SSM / Secrets Manager (the local stack has neither:
// there the secret is an environment variable), which checks each request's signature.
const credentials = { accessKeyId: 'LOCALSECRETTEST0001', secretAccessKey: 'c3RhY2stc2VjcmV0LWZvci10aGUtdGVzdA' };
const parameters = new Map<string, string>();
const calls: { target: string; body: Record<string, unknown> }[] = [];
let failNext = 0;

const server = createServer((request, response) => {
  void (async () => {
    const target = String(request.headers['x-amz-target']);
    const signingName = target.startsWith('secretsmanager.') ? 'secretsmanager' : 'ssm';
    const verified = await readVerifiedRequest(request, { credentials, signingName, service: signingName }, 1 << 16);
    if (!('body' in verified)) {
      response.writeHead(403).end(JSON.stringify({ __type: 'InvalidSignatureException' }));
      return;
    }
    const body = JSON.parse(verified.body.toString()) as Record<string, unknown>;
    calls.push({ target, body });
    const send = (status: number, value: unknown) =>
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(value));
    if (failNext > 0) {
      failNext--;
      send(400, { __type: 'AccessDeniedException', message: 'no' });
      return;
    }
    const name = String(body.Name ?? body.SecretId);
    const value = parameters.get(name);
    if (value === undefined) {
      send(400, { __type: target.startsWith('secretsmanager.') ? 'ResourceNotFoundException' : 'ParameterNotFound' });
      return;
    }
    if (target === 'AmazonSSM.GetParameter')
      send(200, { Parameter: { Name: name, Value: value, Type: 'SecureString' } });
    else send(200, { SecretString: value });
  })();
});
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_SSM: url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
  };
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  parameters.clear();
  calls.length = 0;
  failNext = 0;
});

const names = { valueEnv: 'WEBHOOK_SECRET', parameterEnv: 'WEBHOOK_SECRET_PARAMETER' };

describe('createConfiguredSecretReader', () => {
  it('reads an SSM SecureString decrypted, and keeps it for 5 minutes', async () => {
    parameters.set('/pushgate/webhook-secret', 'hook-secret');
    let now = 1_000_000;
    const read = createConfiguredSecretReader(createAwsClient({ env }), {
      env: { ...env, WEBHOOK_SECRET_PARAMETER: '/pushgate/webhook-secret' },
      now: () => now,
    });
    expect(await read(names)).toBe('hook-secret');
    expect(calls).toEqual([
      { target: 'AmazonSSM.GetParameter', body: { Name: '/pushgate/webhook-secret', WithDecryption: true } },
    ]);
    parameters.set('/pushgate/webhook-secret', 'rotated');
    now += 299_000;
    expect(await read(names)).toBe('hook-secret');
    now += 2_000;
    expect(await read(names)).toBe('rotated');
    expect(calls).toHaveLength(2);
  });

  it('reads a Secrets Manager secret named by ARN or secretsmanager:<name>', async () => {
    parameters.set('pushgate/hook', 'from-secrets-manager');
    const read = createConfiguredSecretReader(createAwsClient({ env }), {
      env: { ...env, WEBHOOK_SECRET_PARAMETER: 'secretsmanager:pushgate/hook' },
    });
    expect(await read(names)).toBe('from-secrets-manager');
    expect(calls[0]).toEqual({ target: 'secretsmanager.GetSecretValue', body: { SecretId: 'pushgate/hook' } });
  });

  it('does not keep a failed read, and names the parameter but not a value in its error', async () => {
    parameters.set('/pushgate/webhook-secret', 'hook-secret');
    failNext = 1;
    const read = createConfiguredSecretReader(createAwsClient({ env }), {
      env: { ...env, WEBHOOK_SECRET_PARAMETER: '/pushgate/webhook-secret' },
    });
    const error = await read(names).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretConfigError);
    expect((error as Error).message).toBe('could not read WEBHOOK_SECRET_PARAMETER (/pushgate/webhook-secret)');
    expect((error as Error).cause).toMatchObject({ code: 'AccessDeniedException' });
    // A client error is not retried: one request, and the next read asks again.
    expect(calls).toHaveLength(1);
    expect(await read(names)).toBe('hook-secret');
    expect(JSON.stringify(error)).not.toContain('hook-secret');
  });

  it('takes a missing optional parameter as no secret, and a missing required one as an error', async () => {
    const read = createConfiguredSecretReader(createAwsClient({ env }), {
      env: { ...env, WEBHOOK_SECRET_PREVIOUS_PARAMETER: '/pushgate/gone', WEBHOOK_SECRET_PARAMETER: '/pushgate/gone' },
    });
    expect(
      await read({
        valueEnv: 'WEBHOOK_SECRET_PREVIOUS',
        parameterEnv: 'WEBHOOK_SECRET_PREVIOUS_PARAMETER',
        optional: true,
      }),
    ).toBeUndefined();
    await expect(read(names)).rejects.toBeInstanceOf(SecretConfigError);
  });

  it('reads the value variable in local mode only, and nothing when neither variable is set', async () => {
    const client = createAwsClient({ env });
    expect(
      await createConfiguredSecretReader(client, { env: { PUSHGATE_LOCAL: '1', WEBHOOK_SECRET: 's' } })(names),
    ).toBe('s');
    await expect(createConfiguredSecretReader(client, { env: { WEBHOOK_SECRET: 's' } })(names)).rejects.toBeInstanceOf(
      SecretConfigError,
    );
    expect(await createConfiguredSecretReader(client, { env: {} })(names)).toBeUndefined();
    expect(calls).toHaveLength(0);
  });
});
