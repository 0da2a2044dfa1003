/**
 * Local mode (`PUSHGATE_LOCAL=1`, set by the local stack) is the only place a secret may come from a
 * plain environment variable; on AWS secrets come from SSM SecureString parameters or Secrets Manager.
 * Its own module so that the webhook reads it without loading Powertools Parameters (secrets.ts).
 */
export function isLocalMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PUSHGATE_LOCAL === '1' || env.PUSHGATE_LOCAL === 'true';
}
