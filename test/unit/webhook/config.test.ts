import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/lib/read-env.ts';
import { readWebhookConfig } from '../../../functions/webhook/config.ts';

const base = {
  TABLE_NAME: 'pushgate',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:pushgate-deploy',
  ALLOWED_REPOS: 'octo-org/infra, platform/*',
  WEBHOOK_SECRET_PARAMETER: '/pushgate/webhook-secret',
};

function failure(env: NodeJS.ProcessEnv): string {
  try {
    readWebhookConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('readWebhookConfig', () => {
  it('reads the configuration', () => {
    expect(readWebhookConfig({ ...base, MAX_BODY_BYTES: '1048576' })).toEqual({
      tableName: 'pushgate',
      stateMachineArn: base.STATE_MACHINE_ARN,
      allowedRepos: ['octo-org/infra', 'platform/*'],
      maxBodyBytes: 1048576,
    });
    expect(readWebhookConfig({ ...base, MAX_BODY_BYTES: '' })).not.toHaveProperty('maxBodyBytes');
    expect(readWebhookConfig({ ...base, WEBHOOK_PATH: '/hooks/pushgate, /webhook' }).paths).toEqual([
      '/hooks/pushgate',
      '/webhook',
    ]);
    expect(readWebhookConfig(base)).not.toHaveProperty('paths');
  });

  it.each([
    ['TABLE_NAME', { TABLE_NAME: undefined }],
    ['STATE_MACHINE_ARN', { STATE_MACHINE_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:x' }],
    ['ALLOWED_REPOS', { ALLOWED_REPOS: undefined }],
    ['ALLOWED_REPOS', { ALLOWED_REPOS: ' , ' }],
    ['ALLOWED_REPOS', { ALLOWED_REPOS: 'octo-org' }],
    ['ALLOWED_REPOS', { ALLOWED_REPOS: '*' }],
    ['MAX_BODY_BYTES', { MAX_BODY_BYTES: 'six megabytes' }],
    ['MAX_BODY_BYTES', { MAX_BODY_BYTES: '-1' }],
    ['WEBHOOK_PATH', { WEBHOOK_PATH: 'webhook' }],
  ])('names %s when it is missing or malformed', (variable, change) => {
    expect(failure({ ...base, ...change })).toContain(variable);
  });

  it('requires a webhook secret', () => {
    expect(failure({ ...base, WEBHOOK_SECRET_PARAMETER: undefined })).toContain('WEBHOOK_SECRET_PARAMETER is required');
  });

  it('takes WEBHOOK_SECRET only in local mode', () => {
    const env = { ...base, WEBHOOK_SECRET_PARAMETER: undefined, WEBHOOK_SECRET: 's' };
    expect(failure(env)).toContain('WEBHOOK_SECRET is only read in local mode');
    expect(readWebhookConfig({ ...env, PUSHGATE_LOCAL: '1' }).tableName).toBe('pushgate');
  });
});
