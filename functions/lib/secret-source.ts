import { isLocalMode } from './local-mode.ts';
import { SecretConfigError } from './secret-config-error.ts';

/**
 * Where one configured secret comes from: `<valueEnv>` holds the value itself (local mode only: on
 * AWS that is a SecretConfigError), or `<parameterEnv>` names an SSM parameter or a Secrets Manager
 * secret; undefined when neither is set. Shared by secrets.ts and the webhook's light reader.
 */
export function secretSource(
  names: { valueEnv: string; parameterEnv: string },
  env: NodeJS.ProcessEnv,
): { value: string } | { parameter: string } | undefined {
  const direct = env[names.valueEnv];
  if (direct !== undefined && direct !== '') {
    if (!isLocalMode(env)) {
      throw new SecretConfigError(
        `${names.valueEnv} is only read in local mode (PUSHGATE_LOCAL=1); on AWS set ${names.parameterEnv} to an SSM SecureString or Secrets Manager secret`,
      );
    }
    return { value: direct };
  }
  const parameter = env[names.parameterEnv];
  return parameter === undefined || parameter === '' ? undefined : { parameter };
}
