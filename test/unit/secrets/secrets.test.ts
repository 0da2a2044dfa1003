import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { getConfiguredSecret } from '../../../functions/lib/secrets.ts';

// SSM has no local stand-in in this project, so these tests mock the SSM client at the SDK transport
// (aws-sdk-client-mock): Powertools Parameters builds its own SSMClient, which the mock intercepts.
const ssm = mockClient(SSMClient);
afterEach(() => {
  ssm.reset();
  clearCaches();
});

const names = { valueEnv: 'TEST_SECRET', parameterEnv: 'TEST_SECRET_PARAMETER' };

describe('getConfiguredSecret', () => {
  it('reads an SSM SecureString, decrypted', async () => {
    ssm
      .on(GetParameterCommand, { Name: '/pushgate/dev/secret', WithDecryption: true })
      .resolves({ Parameter: { Value: 's3cret' } });
    expect(await getConfiguredSecret(names, { TEST_SECRET_PARAMETER: '/pushgate/dev/secret' })).toBe('s3cret');
  });

  it('an optional secret whose parameter does not exist is no secret, not an outage', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const env = { TEST_SECRET_PARAMETER: '/pushgate/dev/previous' };
    expect(await getConfiguredSecret({ ...names, optional: true }, env)).toBeUndefined();
    await expect(getConfiguredSecret(names, env)).rejects.toMatchObject({
      name: 'SecretConfigError',
      message: 'could not read TEST_SECRET_PARAMETER (/pushgate/dev/previous)',
    });
  });

  it('any other failure of an optional secret is still an error', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(
      getConfiguredSecret({ ...names, optional: true }, { TEST_SECRET_PARAMETER: '/pushgate/dev/previous' }),
    ).rejects.toMatchObject({ name: 'SecretConfigError' });
  });

  it('a plain environment value is read only in local mode', async () => {
    expect(await getConfiguredSecret(names, { TEST_SECRET: 'x', PUSHGATE_LOCAL: '1' })).toBe('x');
    await expect(getConfiguredSecret(names, { TEST_SECRET: 'x' })).rejects.toThrow(/only read in local mode/);
    expect(await getConfiguredSecret(names, {})).toBeUndefined();
  });
});
