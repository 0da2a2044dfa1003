import { generateKeyPairSync } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { appFromEnv } from '../../../functions/lib/git/github-from-env.ts';
import { SecretConfigError } from '../../../functions/lib/secrets.ts';

// Secrets Manager has no local stand-in: the client is mocked at the SDK transport, as in secrets.test.ts.
const secrets = mockClient(SecretsManagerClient);
const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

afterEach(() => {
  secrets.reset();
  clearCaches();
});

describe('the GitHub App secret (GITHUB_APP_SECRET)', () => {
  it('reads { appId, privateKey } from Secrets Manager, by name or ARN', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ appId: 12345, privateKey }) });
    expect(await appFromEnv({ GITHUB_APP_SECRET: 'pushgate/github-app' })).toEqual({ appId: 12345, privateKey });
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input.SecretId).toBe('pushgate/github-app');
    clearCaches();
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pushgate/github-app-AbCdEf';
    expect(await appFromEnv({ GITHUB_APP_SECRET: arn })).toEqual({ appId: 12345, privateKey });
    expect(secrets.commandCalls(GetSecretValueCommand)[1]!.args[0].input.SecretId).toBe(arn);
  });

  it('a secret that is not the expected JSON is refused without its content in the message', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `-----BEGIN RSA PRIVATE KEY-----oops` });
    const error = await appFromEnv({ GITHUB_APP_SECRET: 'pushgate/github-app' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretConfigError);
    expect((error as Error).message).toContain('is not JSON');
    expect((error as Error).message).not.toContain('oops');
  });

  it('no App configured: undefined (the token is used)', async () => {
    expect(await appFromEnv({})).toBeUndefined();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
