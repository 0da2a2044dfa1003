import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { getSecret as getSecretsManagerSecret } from '@aws-lambda-powertools/parameters/secrets';
import { isLocalMode } from './local-mode.ts';
import { SecretConfigError } from './secret-config-error.ts';
import { secretSource } from './secret-source.ts';

export { isLocalMode, SecretConfigError };

/** Secrets are cached for this long per warm Lambda, so a rotation is picked up within minutes. */
const MAX_AGE_SECONDS = 300;

/**
 * Reads one secret named by configuration: `<valueEnv>` holds the value itself (local mode only), or
 * `<parameterEnv>` names an SSM parameter (`/pushgate/…`) or a Secrets Manager secret (its ARN, or
 * `secretsmanager:<name>`). Returns undefined when neither variable is set, so optional secrets
 * (the previous webhook secret during a rotation) stay optional.
 */
export async function getConfiguredSecret(
  names: { valueEnv: string; parameterEnv: string; optional?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const source = secretSource(names, env);
  if (source === undefined) return undefined;
  if ('value' in source) return source.value;
  const { parameter } = source;
  try {
    if (parameter.startsWith('arn:aws:secretsmanager:') || parameter.startsWith('secretsmanager:')) {
      const id = parameter.replace(/^secretsmanager:/, '');
      const value = await getSecretsManagerSecret(id, { maxAge: MAX_AGE_SECONDS });
      if (typeof value !== 'string' || value === '') throw new Error('the secret is empty or binary');
      return value;
    }
    const value = await getParameter(parameter, { decrypt: true, maxAge: MAX_AGE_SECONDS });
    if (value === undefined || value === '') throw new Error('the parameter is empty');
    return value;
  } catch (error) {
    // An optional secret (the previous webhook secret, between rotations) may name a parameter that
    // does not exist yet or any more: that is "no secret", not an outage.
    if (names.optional && isNotFound(error)) return undefined;
    // The message names the parameter, never its value.
    throw new SecretConfigError(`could not read ${names.parameterEnv} (${parameter})`, { cause: error });
  }
}

/** SSM's ParameterNotFound or Secrets Manager's ResourceNotFoundException, however deep Powertools wrapped it. */
function isNotFound(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current.name === 'ParameterNotFound' || current.name === 'ResourceNotFoundException') return true;
  }
  return false;
}
