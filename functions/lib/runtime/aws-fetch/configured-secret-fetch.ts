import { SecretConfigError } from '../../secret-config-error.ts';
import { secretSource } from '../../secret-source.ts';
import { awsErrorCode } from './aws-call-error.ts';
import { awsJson } from './aws-json.ts';
import type { AwsClient } from './create-aws-client.ts';

/** As secrets.ts: a value is kept this long per warm Lambda, so a rotation is picked up within minutes. */
const MAX_AGE_MS = 300_000;

export type ConfiguredSecretReader = (names: {
  valueEnv: string;
  parameterEnv: string;
  optional?: boolean;
}) => Promise<string | undefined>;

/**
 * secrets.ts getConfiguredSecret over the light client, for the webhook: `<valueEnv>` in local mode
 * only, else the SSM SecureString (GetParameter, decrypted) or Secrets Manager secret (its ARN or
 * `secretsmanager:<name>`) `<parameterEnv>` names, kept for 5 minutes as Powertools Parameters keeps
 * them there; a failed read is not kept. An optional secret whose parameter does not exist is none.
 */
export function createConfiguredSecretReader(
  client: AwsClient,
  options: { env?: NodeJS.ProcessEnv; now?: () => number } = {},
): ConfiguredSecretReader {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: Promise<string>; expiresAt: number }>();

  async function fetchValue(parameter: string): Promise<string> {
    if (parameter.startsWith('arn:aws:secretsmanager:') || parameter.startsWith('secretsmanager:')) {
      const { SecretString } = await awsJson<{ SecretString?: string }>(client, 'secretsmanager:GetSecretValue', {
        SecretId: parameter.replace(/^secretsmanager:/, ''),
      });
      if (typeof SecretString !== 'string' || SecretString === '') throw new Error('the secret is empty or binary');
      return SecretString;
    }
    const { Parameter } = await awsJson<{ Parameter?: { Value?: string } }>(client, 'ssm:GetParameter', {
      Name: parameter,
      WithDecryption: true,
    });
    if (Parameter?.Value === undefined || Parameter.Value === '') throw new Error('the parameter is empty');
    return Parameter.Value;
  }

  function cached(parameter: string): Promise<string> {
    const hit = cache.get(parameter);
    if (hit !== undefined && hit.expiresAt > now()) return hit.value;
    const value = fetchValue(parameter);
    cache.set(parameter, { value, expiresAt: now() + MAX_AGE_MS });
    value.catch(() => {
      if (cache.get(parameter)?.value === value) cache.delete(parameter);
    });
    return value;
  }

  return async (names) => {
    const env = options.env ?? process.env;
    const source = secretSource(names, env);
    if (source === undefined) return undefined;
    if ('value' in source) return source.value;
    const { parameter } = source;
    try {
      return await cached(parameter);
    } catch (error) {
      const code = awsErrorCode(error);
      if (names.optional && (code === 'ParameterNotFound' || code === 'ResourceNotFoundException')) return undefined;
      // The message names the parameter, never its value.
      throw new SecretConfigError(`could not read ${names.parameterEnv} (${parameter})`, { cause: error });
    }
  };
}
